"""The public map's page through HTTP: its pins carry only what the disclosure policy lets out,
and its clusters are named in the page's language by the clustering the staff map uses."""

from __future__ import annotations

import html as markup
import re

import pytest

from service.domain.languages import LANGUAGES
from tests.web.resident.conftest import post_report

PRIVATE = {"reporter_name": "山田花子", "reporter_email": "hanako@example.jp", "reporter_phone": "090-1234-5678"}


def _pins(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<li data-lat="([^"]*)" data-lon="([^"]*)">', page)


def test_the_public_maps_pins_carry_rounded_coordinates_and_nothing_private(app, client, monkeypatch):
    post_report(client, category="graffiti", description="壁に落書き", lat="35.651234", lon="139.781234", **PRIVATE)
    page = client.get("/map").get_data(as_text=True)
    # The default public precision: four decimals, about 10 m.
    assert _pins(page) == [("35.6512", "139.7812")]
    assert "35.651234" not in page and "139.781234" not in page
    assert all(value not in page for value in PRIVATE.values())
    # The precision is the operator's setting, the same one open data and Open311 follow.
    monkeypatch.setitem(app.config, "OPENDATA_COORDINATE_DECIMALS", 3)
    assert _pins(client.get("/map").get_data(as_text=True)) == [("35.651", "139.781")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_public_map_clusters_with_the_shared_script_and_names_clusters_in_the_pages_language(client, language):
    page = client.get(f"/map?lang={language}").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert any(src.endswith("/supercluster.min.js") for src in scripts)
    assert any(src.endswith("/web/clusters.js") for src in scripts)
    assert not any("markercluster" in src for src in scripts)
    name = markup.unescape(re.search(r'data-text-cluster="([^"]*)"', page).group(1))
    expected = {"ja": "{count}件の通報（拡大して表示）", "ja-x-easy": "{count}けんの つうほう（おおきく すると みえます）",
                "en": "A cluster of {count} reports (zoom in to show them)",
                "zh-Hans": "{count}件报告的集合（放大后显示）", "ko": "통보 {count}건의 묶음(확대하면 표시됩니다)",
                "vi": "Nhóm {count} báo cáo (phóng to để xem)", "pt": "Grupo de {count} relatos (aproxime para vê-los)"}
    assert name == expected[language]
