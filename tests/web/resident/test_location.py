"""The report form's location section as served: a plain address field the script enhances,
the search it asks, and its words in every resident language."""

from __future__ import annotations

import pytest

FORM = "/?jurisdiction=990019"
WORDS = {
    "ja": ("写真の撮影場所を使う", "住所の候補"),
    "ja-x-easy": ("しゃしんを とった ばしょを つかう", "じゅうしょの こうほ"),
    "en": ("Use where the photo was taken", "Address suggestions"),
    "zh-Hans": ("使用照片的拍摄地点", "候选地址"),
    "ko": ("사진 촬영 장소 사용", "주소 후보"),
    "vi": ("Dùng nơi chụp ảnh", "Gợi ý địa chỉ"),
    "pt": ("Usar o local onde a foto foi tirada", "Sugestões de endereço"),
}


@pytest.mark.parametrize("language", sorted(WORDS))
def test_the_location_section_speaks_every_resident_language(client, language):
    page = client.get(f"{FORM}&lang={language}").get_data(as_text=True)
    for words in WORDS[language]:
        assert words in page, language


def test_without_the_script_the_address_is_a_plain_field_and_the_search_is_the_api(client):
    page = client.get(FORM).get_data(as_text=True)
    field = page.split('id="address_hint"', 1)[1].split(">", 1)[0]
    # The script makes it a combobox; the page alone serves a text field posted with the form.
    assert 'role="combobox"' not in field and 'name="address_hint"' in page
    assert 'data-search-url="/api/v1/jurisdictions/990019/places/search"' in page
    search = client.post("/api/v1/jurisdictions/990019/places/search", json={"query": "中央"})
    assert [p["label"] for p in search.get_json()["places"]] == ["みなと市中央区"]
