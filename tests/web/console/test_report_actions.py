"""A report page's other forms: priority, re-routing and moderation, through the API's rules, in Japanese."""

from __future__ import annotations

import re

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry
from tests.web.console.conftest import csrf_token, member
from tests.web.console.test_report_page import etag_of, report
from tests.web.console.test_report_photos import photo_of, photographed  # noqa: F401  (fixture)


def post(client, public_id: str, page: str, action: str, **fields: object):
    return client.post(f"/staff/reports/{public_id}/edit", follow_redirects=True,
                       data={"csrf_token": csrf_token(page), "etag": etag_of(page), "action": action, **fields})


def test_a_clerk_sets_the_priority_and_the_change_is_audited(signed_in_client, road_report):
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    assert "優先度を変える" in page and "通報を非公開にする" not in page and "担当課を変える" not in page
    done = post(clerk, road_report, page, "priority", priority="7")
    assert done.status_code == 200 and "変更しました。" in done.get_data(as_text=True)
    assert report(road_report).priority == 7
    assert '<option value="7" selected>' in done.get_data(as_text=True)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.update",
                                                        AuditEntry.staff_id == member("staff road").id)).one()
    assert entry.before["priority"] == 0 and entry.after["priority"] == 7


def test_a_clerk_may_not_moderate_and_is_told_so_in_japanese(client, signed_in_client, road_report):
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    refused = post(clerk, road_report, page, "hide", hidden="1")
    assert refused.status_code == 403 and "非表示や文章の修正は課長と管理者が行います。" in refused.get_data(as_text=True)
    assert report(road_report).hidden is False and client.get(f"/api/v1/reports/{road_report}").status_code == 200
    bad = post(clerk, road_report, page, "priority", priority="high")
    assert bad.status_code == 422 and "優先度は0から9の数字で選んでください。" in bad.get_data(as_text=True)


def test_a_manager_redacts_the_text_and_hides_the_report(client, signed_in_client, road_report):
    manager = signed_in_client("manager road")
    page = manager.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    redacted = post(manager, road_report, page, "redact", description="道路に穴があります（一部削除）")
    assert redacted.status_code == 200
    public = client.get(f"/api/v1/reports/{road_report}").get_json()
    assert public["description"] == "道路に穴があります（一部削除）"
    assert report(road_report).description_original == "道路に穴があります"
    hidden = post(manager, road_report, redacted.get_data(as_text=True), "hide", hidden="1")
    assert "この通報は非公開です。" in hidden.get_data(as_text=True)
    assert client.get(f"/api/v1/reports/{road_report}").status_code == 404


def test_a_manager_hides_a_photo_from_the_public(client, signed_in_client, photographed):  # noqa: F811
    report_id, _original = photographed
    photo = photo_of(report_id)
    assert client.get(f"/api/v1/photos/{photo.public_id}/large").status_code == 200
    manager = signed_in_client("manager road")
    page = manager.get(f"/staff/reports/{report_id}").get_data(as_text=True)
    done = post(manager, report_id, page, "photos", hidden_photo=photo.public_id)
    assert done.status_code == 200 and "非表示" in done.get_data(as_text=True)
    assert photo_of(report_id).hidden is True
    assert client.get(f"/api/v1/photos/{photo.public_id}/large").status_code == 404
    # Staff still see it, to judge it.
    assert manager.get(f"/staff/photos/{photo.public_id}/large").status_code == 200


def test_a_manager_re_routes_a_report_to_another_department(signed_in_client, road_report):
    manager = signed_in_client("manager road")
    page = manager.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    assert re.search(r'<option value="parks"', page)
    moved = manager.post(f"/staff/reports/{road_report}/edit", data={
        "csrf_token": csrf_token(page), "etag": etag_of(page), "action": "department", "department": "parks",
        "route_reason": "公園内の道路"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith("/staff/reports")
    assert report(road_report).department.code == "parks" and "公園内の道路" in report(road_report).routing_reason
    # The report has left the manager's department: its page is closed to them now.
    assert manager.get(f"/staff/reports/{road_report}").status_code == 403


def test_a_stale_redaction_is_a_conflict_that_keeps_the_typed_text(signed_in_client, road_report):
    manager, clerk = signed_in_client("manager road"), signed_in_client("staff road")
    seen = manager.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    clerk_page = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    assert post(clerk, road_report, clerk_page, "priority", priority="3").status_code == 200
    stale = post(manager, road_report, seen, "redact", description="書き直した文章")
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "他の職員が更新しました" in text and "書き直した文章" in text
    assert report(road_report).description == "道路に穴があります" and report(road_report).description_original is None


def test_workflow_refusals_read_in_japanese(signed_in_client, road_report):
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    refused = clerk.post(f"/staff/reports/{road_report}/transition",
                         data={"csrf_token": csrf_token(page), "etag": etag_of(page), "to": "not_actionable"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "この状態にするには、理由を入力してください。" in text
    assert "only with a reason" not in text
    empty = clerk.post(f"/staff/reports/{road_report}/note",
                       data={"csrf_token": csrf_token(page), "etag": etag_of(page), "internal_note": ""})
    assert empty.status_code == 422 and "住民への回答か内部メモを入力してください。" in empty.get_data(as_text=True)
