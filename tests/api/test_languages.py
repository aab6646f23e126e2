"""The resident API answers in the languages residents read, with Japanese where a translation is missing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.domain import languages
from service.extensions import db
from service.models import Category
from tests.conftest import INSIDE

VIETNAMESE_ROAD = "Hư hỏng mặt đường"


def road_damage(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return next(c for c in response.get_json() if c["code"] == "road_damage")


@pytest.mark.parametrize(("asked", "name", "question", "yes"), [
    ({"lang": "vi"}, VIETNAMESE_ROAD, "Có chắn làn xe không?", "Có"),
    ({"lang": "ja-x-easy"}, "みちの あな・こわれ", "くるまの みちを ふさいで いますか", "はい"),
    ({"lang": "zh-Hans"}, "道路损坏", "是否占用车道？", "是"),
    ({"lang": "ko"}, "도로 파손", "차선을 막고 있습니까?", "예"),
    ({"lang": "pt"}, "Dano na via", "Está bloqueando uma faixa?", "Sim"),
    ({"lang": "en"}, "Road damage", "Is a lane blocked?", "Yes"),
    ({}, "道路の損傷", "車線をふさいでいますか", "はい"),
], ids=["vi", "ja-x-easy", "zh-Hans", "ko", "pt", "en", "default ja"])
def test_categories_and_their_questions_in_each_language(client, asked, name, question, yes):
    category = road_damage(client.get("/api/v1/categories", query_string=asked))
    lane = category["attributes"][0]
    assert category["name"] == name and lane["description"] == question and lane["values"][0]["name"] == yes


@pytest.mark.parametrize(("header", "name"), [("vi-VN,vi;q=0.9", VIETNAMESE_ROAD), ("zh-CN", "道路损坏"),
                                              ("pt-BR,en;q=0.5", "Dano na via"), ("fr-FR", "道路の損傷")])
def test_accept_language_chooses_without_lang(client, header, name):
    assert road_damage(client.get("/api/v1/categories", headers={"Accept-Language": header}))["name"] == name


def test_lang_wins_over_accept_language_and_an_unknown_lang_is_passed_over(client):
    assert road_damage(client.get("/api/v1/categories?lang=ko", headers={"Accept-Language": "en"}))["name"] == "도로 파손"
    assert road_damage(client.get("/api/v1/categories?lang=xx", headers={"Accept-Language": "en"}))["name"] == "Road damage"


def test_a_missing_translation_falls_back_to_japanese(client):
    category = db.session.scalar(select(Category).where(Category.code == "road_damage"))
    category.translations = {"vi": {"description": "Ổ gà"}}
    db.session.commit()
    shown = road_damage(client.get("/api/v1/categories?lang=vi"))
    assert shown["name"] == "道路の損傷" and shown["description"] == "Ổ gà"


def test_a_report_and_its_status_in_vietnamese(client):
    created = client.post("/api/v1/reports?lang=vi", json={"category": "road_damage", "description": "Ổ gà", **INSIDE})
    assert created.status_code == 201 and created.get_json()["status_label"] == "Đã tiếp nhận"
    view = client.get(f"/api/v1/reports/{created.get_json()['id']}", headers={"Accept-Language": "vi"})
    body = view.get_json()
    assert body["status_label"] == "Đã tiếp nhận" and body["category"]["name"] == VIETNAMESE_ROAD
    assert body["history"][0]["status_label"] == "Đã tiếp nhận"
    japanese = client.get(f"/api/v1/reports/{created.get_json()['id']}", headers={"If-None-Match": view.headers["ETag"]})
    assert japanese.status_code == 200 and japanese.get_json()["status_label"] == "受付"


def test_every_status_has_a_label_in_every_language():
    labels = languages.status_labels()
    assert {code: sorted(texts) for code, texts in labels.items()} == {code: sorted(languages.LANGUAGES) for code in labels}
