"""The form's catalogue through HTTP: what the city does not take comes before the categories, and an
urgent category carries the call to phone its department first."""

from __future__ import annotations

import re

from tests.web.resident.catalogue_setup import NOT_TAKEN_VI, NOTICE_VI, PHONE_NUMBER, mark_road_damage_urgent

FORM = "/?jurisdiction=990019"


def _choice(html: str, code: str) -> str:
    return re.search(rf'<div class="category-choice">\s*<input type="radio" name="category" id="category-{code}".*?</div>\s*</div>|'
                     rf'<div class="category-choice">\s*<input type="radio" name="category" id="category-{code}".*?</p>\s*</div>',
                     html, re.S).group(0)


def test_an_urgent_category_tells_residents_to_phone_its_department_before_anything_else(client):
    mark_road_damage_urgent()
    html = client.get(f"{FORM}&lang=vi").get_data(as_text=True)
    road = _choice(html, "road_damage")
    call = road.index("Nếu khẩn cấp, xin hãy gọi điện thoại")
    assert f'<a href="tel:{PHONE_NUMBER}">Gọi {PHONE_NUMBER}</a>' in road
    # The call comes first, then the category's own notice, then its description.
    assert call < road.index(NOTICE_VI) < road.index('class="hint"')
    assert 'aria-describedby="category-road_damage-notice category-road_damage-hint"' in road
    assert "tel:" not in _choice(html, "graffiti") and "category-notice" not in _choice(html, "graffiti")


def test_what_the_city_does_not_take_is_said_before_the_categories_in_the_residents_language(client):
    mark_road_damage_urgent()
    html = client.get(f"{FORM}&lang=vi").get_data(as_text=True)
    assert html.index("Những việc không tiếp nhận") < html.index(NOT_TAKEN_VI) < html.index('id="field-category"')
    japanese = client.get(f"{FORM}&lang=ja").get_data(as_text=True)
    assert "受け付けていないもの" in japanese and "雪の情報、私有地のことは受け付けていません。" in japanese
    assert f'<a href="tel:{PHONE_NUMBER}">電話 {PHONE_NUMBER}</a>' in japanese


def test_a_city_that_says_nothing_shows_no_empty_notices(client):
    html = client.get(FORM).get_data(as_text=True)
    assert "受け付けていないもの" not in html and "category-notice" not in html and "急ぎの場合は電話してください" not in html


def test_category_icons_are_inline_svg_from_the_vendored_set_and_hidden_from_screen_readers(client):
    html = client.get(f"{FORM}&lang=ja").get_data(as_text=True)
    labels = re.findall(r'<label for="category-[^"]+">(.*?)</label>', html, re.S)
    assert len(labels) >= 8
    assert all(label.startswith('<svg class="icon" aria-hidden="true" focusable="false"') for label in labels)
    # No emoji, which fonts without them draw as boxes.
    assert not any(ord(ch) > 0x1F000 for label in labels for ch in label)
    assert "icons-tabler" not in html and "<!--" not in "".join(labels)


def test_an_urgent_category_whose_department_has_no_phone_gives_the_city_s_number(client):
    from sqlalchemy import select

    from service.extensions import db
    from service.models import Department

    mark_road_damage_urgent()
    db.session.scalar(select(Department).where(Department.code == "road")).phone = None
    db.session.commit()
    road = _choice(client.get(f"{FORM}&lang=ja").get_data(as_text=True), "road_damage")
    # The contact phone of config/resident_sites.json's demo city.
    assert '<a href="tel:03-0000-0000">電話 03-0000-0000</a>' in road
