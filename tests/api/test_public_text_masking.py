"""Personal data a resident types into a description is masked on every public surface, not for staff or the reporter."""

from __future__ import annotations

from xml.etree import ElementTree

from tests.notifications.conftest import transition
from tests.staff.conftest import keys, submit  # noqa: F401  (fixtures)

WRITTEN = "街灯が消えています。090-1234-5678 か taro.yamada@example.jp に連絡ください。車は品川 500 さ 12-34 です。"
PRIVATE = ("090-1234-5678", "taro.yamada@example.jp", "品川 500 さ 12-34")


def test_phone_mail_and_plate_are_masked_in_public_and_whole_for_staff_and_the_reporter(client, keys):  # noqa: F811
    public_id = submit(client, description=WRITTEN)
    transition(client, keys, public_id, "acknowledged", public_reply="090-9999-0000 の方、確認しました。")
    surfaces = {
        "item": client.get(f"/api/v1/reports/{public_id}").get_data(as_text=True),
        "list": client.get("/api/v1/reports").get_data(as_text=True),
        "open311 json": client.get("/open311/v2/requests.json").get_data(as_text=True),
        "open311 xml": client.get("/open311/v2/requests.xml").get_data(as_text=True),
        "updates": client.get("/open311/v2/servicerequestupdates.json").get_data(as_text=True),
    }
    for name, body in surfaces.items():
        for value in (*PRIVATE, "090-9999-0000"):
            assert value not in body, (name, value)
    item = client.get(f"/api/v1/reports/{public_id}").get_json()
    assert item["description"].startswith("街灯が消えています。［電話番号］ か ［メールアドレス］ に連絡ください。")
    assert "［ナンバー］" in item["description"]
    ElementTree.fromstring(surfaces["open311 xml"].encode())
    staff = client.get(f"/api/v1/staff/reports/{public_id}", headers=keys.header("admin")).get_json()
    assert staff["description"] == WRITTEN
