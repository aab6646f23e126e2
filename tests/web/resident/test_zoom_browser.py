"""Every resident page at 200 % zoom reflows: nothing scrolls sideways, nothing is cut off,
and the page's main controls can be seen and used.

Zoom is emulated as WCAG 2.2's reflow criterion (1.4.10) measures it: the content laid out in a
viewport 320 CSS px wide, which is what a 640 px wide window shows at 200 % (and a 1280 px one at
400 %), with text twice as large in device pixels (device scale 2), as 1.4.4 asks. The map's
own tiles are its content and may pass under its frame; nothing else may leave the viewport.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from service.domain import languages, resident_mail
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Report
from service.pipeline import pipeline_for
from tests.conftest import INSIDE
from tests.web.resident.conftest import on_one_database
from tests.worker import processed_by_worker

pytestmark = [pytest.mark.browser, on_one_database]

PHOTO = Path(__file__).resolve().parents[2] / "photos" / "samples" / "Landscape_6.jpg"
REFLOW_WIDTH = 320
ZOOMED = {"viewport": {"width": REFLOW_WIDTH, "height": 640}, "device_scale_factor": 2, "is_mobile": True,
          "has_touch": True}
# What leaves the viewport: the page's own width beyond it, and each visible element that reaches past
# either edge (outside the map, whose panes are larger than its frame by design).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('body *')].filter(e => {
    if (e.closest('.leaflet-container') || !e.getClientRects().length) return false;
    const box = e.getBoundingClientRect();
    return box.width > 0 && (box.left < -0.5 || box.right > width + 0.5);
  }).map(e => e.outerHTML.slice(0, 120));
  return {scroll: document.documentElement.scrollWidth - width, out};
}"""


@pytest.fixture()
def resolved_report(app, client) -> tuple[str, str, str]:
    """A resolved report with a photo whose reporter asked for mail: (id, tracking token, unsubscribe path)."""
    created = client.post("/api/v1/reports", content_type="multipart/form-data", data={
        "category": "road_damage", "description": "Ổ gà lớn trước cửa nhà, xe đạp dễ ngã " * 4,
        "lat": str(INSIDE["lat"]), "lon": str(INSIDE["lon"]),
        "reporter": json.dumps({"email": "lan@example.jp", "email_updates": True}),
        "photos": [(io.BytesIO(PHOTO.read_bytes()), "IMG_0001.jpg")]})
    assert created.status_code == 201, created.get_json()
    public_id, token = created.get_json()["id"], created.get_json()["tracking_token"]
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    processed_by_worker(db.session, report.id, pipeline_for(app))
    _, key = create_staff(db.session, name="admin", role="admin", jurisdiction_code="990019", department_code=None)
    db.session.commit()
    resolved = client.post(f"/api/v1/staff/reports/{public_id}/transitions", headers={"Authorization": f"Bearer {key}"},
                           json={"to": "resolved", "public_reply": "穴を補修しました。ご連絡ありがとうございました。"})
    assert resolved.status_code == 201, resolved.get_json()
    unsubscribe = f"/unsubscribe/{resident_mail.unsubscribe_token(app.config['SECRET_KEY'], 'reporter', report.id)}"
    return public_id, token, unsubscribe


@pytest.mark.parametrize("language", languages.LANGUAGES)
def test_every_resident_page_reflows_at_200_percent_zoom(new_context, live_server, resolved_report, screenshot,
                                                         language):
    public_id, token, unsubscribe = resolved_report
    # The browser speaks the language (やさしい日本語 is chosen on the page: no browser offers it).
    page = new_context(**ZOOMED, locale="ja" if language == "ja-x-easy" else language,
                       geolocation={"latitude": INSIDE["lat"], "longitude": INSIDE["lon"]},
                       permissions=["geolocation"]).new_page()
    # Each page, and the controls it exists for (as CSS selectors, the same in every language).
    pages = [
        ("form", f"/?jurisdiction=990019&lang={language}",
         ["input[name=category] + label", "#photos", "#locate-me", "#description", "#reporter_email",
          "button[type=submit]"]),
        ("status", f"/reports/{public_id}?lang={language}", [".photos a", "main a.button"]),
        ("own", f"/reports/{public_id}/own?lang={language}#t={token}",
         ["label[for=score-5]", "label[for=fixed-yes]", "#comment", "section.rating button[type=submit]"]),
        ("map", f"/map?status=all&lang={language}", ["#filter-category", "#filter-status", ".map-filters button",
                                          ".report-list a"]),
        ("unsubscribe", f"{unsubscribe}?lang={language}", ["main form button"]),
    ]
    for name, path, controls in pages:
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        if name == "form":
            # The category's questions and the map open as a resident goes on.
            page.locator("input[name=category] + label").first.click()
            page.locator("#locate-me").click()
            page.wait_for_function("() => document.getElementById('lat').value !== ''")
        if name == "own":
            page.locator("section.rating").wait_for()
        screenshot(page, f"{language}-{name}")
        overflow = page.evaluate(OVERFLOW)
        assert overflow == {"scroll": 0, "out": []}, (name, overflow)
        for selector in controls:
            control = page.locator(selector).first
            control.scroll_into_view_if_needed()
            assert control.is_visible(), (name, selector)
            box = control.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= REFLOW_WIDTH, (name, selector, box)
            # Playwright's actionability checks: visible, stable, enabled and not covered by anything.
            control.click(trial=True)
