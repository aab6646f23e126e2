"""Response templates in residents' languages: a reply sent unedited from a template reads in the
resident's language on public surfaces; staff keep the text they sent; an edited reply stays as written."""

from __future__ import annotations

from tests.admin.helpers import call

TEMPLATE = {"title": "穴を埋めました", "body_ja": "道路の穴を埋めました。ご連絡ありがとうございました。",
            "body_en": "We have filled the pothole. Thank you for telling us.", "category": "road_damage",
            "status": "resolved", "translations": {"vi": {"body": "Chúng tôi đã vá ổ gà. Cảm ơn bạn đã báo."},
                                                   "pt": {"body": "Tapamos o buraco. Obrigado pelo aviso."}}}


def _resolve(client, keys, report_id: str, reply: str) -> None:
    response = client.post(f"/api/v1/staff/reports/{report_id}/transitions", json={"to": "resolved", "public_reply": reply},
                           headers=keys.header("road_staff"))
    assert response.status_code == 201, response.get_json()


def _public_reply(client, report_id: str, language: str) -> str:
    history = client.get(f"/api/v1/reports/{report_id}", query_string={"lang": language}).get_json()["history"]
    return [h["public_reply"] for h in history if h["public_reply"]][-1]


def test_admins_give_a_template_texts_in_other_languages(client, keys):
    created = call(client, keys, "POST", "/response-templates", TEMPLATE)
    assert created.status_code == 201 and created.get_json()["translations"] == TEMPLATE["translations"]
    changed = call(client, keys, "PATCH", f"/response-templates/{created.get_json()['id']}",
                   {"translations": {"ko": {"body": "포트홀을 메웠습니다."}}})
    assert changed.status_code == 200 and changed.get_json()["translations"] == {"ko": {"body": "포트홀을 메웠습니다."}}
    refused = call(client, keys, "POST", "/response-templates", {**TEMPLATE, "translations": {"vi": {"text": "?"}}})
    assert refused.status_code == 422 and "translations" in refused.get_json()["errors"]


def test_staff_are_offered_the_template_in_the_language_they_read(client, keys, road_report):
    call(client, keys, "POST", "/response-templates", TEMPLATE)
    offered = client.get(f"/api/v1/staff/reports/{road_report}/templates", query_string={"to": "resolved", "lang": "vi"},
                         headers=keys.header("road_staff")).get_json()
    assert TEMPLATE["translations"]["vi"]["body"] in [t["text"] for t in offered]


def test_an_unedited_template_reply_reads_in_the_residents_language(client, keys, road_report):
    call(client, keys, "POST", "/response-templates", TEMPLATE)
    _resolve(client, keys, road_report, TEMPLATE["body_ja"])
    assert _public_reply(client, road_report, "vi") == TEMPLATE["translations"]["vi"]["body"]
    assert _public_reply(client, road_report, "en") == TEMPLATE["body_en"]
    assert _public_reply(client, road_report, "ja") == TEMPLATE["body_ja"]
    # Korean has no text of its own: the reply as sent.
    assert _public_reply(client, road_report, "ko") == TEMPLATE["body_ja"]
    staff = client.get(f"/api/v1/staff/reports/{road_report}", query_string={"lang": "vi"}, headers=keys.header("road_staff"))
    assert [h["public_reply"] for h in staff.get_json()["history"] if h["public_reply"]] == [TEMPLATE["body_ja"]]


def test_an_edited_reply_is_shown_as_staff_wrote_it(client, keys, road_report):
    call(client, keys, "POST", "/response-templates", TEMPLATE)
    edited = TEMPLATE["body_ja"] + "歩道の段差も直しました。"
    _resolve(client, keys, road_report, edited)
    assert _public_reply(client, road_report, "vi") == edited


def test_the_department_a_report_went_to_is_named_in_the_residents_language(client, road_report):
    # The demo city's departments carry their names in the other languages (config/demo.json).
    assert client.get(f"/api/v1/reports/{road_report}", query_string={"lang": "vi"}).get_json()["department"] == "Phòng Đường bộ"
    assert client.get(f"/api/v1/reports/{road_report}", query_string={"lang": "ja"}).get_json()["department"] == "道路課"
