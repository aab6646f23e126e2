"""Masked text is stored once per version of the text: public reads never run the masker, edits re-mask."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, update

from service import create_app
from service.extensions import db
from service.models import HistoryEntry, Report
from service.privacy import masking
from service.seed import seed_demo
from tests import services
from tests.staff.conftest import submit

PHONE_TEXT = "道路に穴があります。090-1234-5678に連絡ください"
MASKED_TEXT = "道路に穴があります。［電話番号］に連絡ください"


@pytest.fixture()
def masker_calls(monkeypatch) -> list[str]:
    """Every text the masker looks at, from now on."""
    calls: list[str] = []
    real = masking.find_personal_data

    def counted(text: str):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(masking, "find_personal_data", counted)
    return calls


def test_public_reads_do_not_run_the_masker(client, keys, masker_calls):
    report = submit(client, description=PHONE_TEXT)
    client.post(f"/api/v1/staff/reports/{report}/comments", json={"public_reply": "担当 03-1111-2222 まで"},
                headers=keys.header("road_staff"))
    written = len(masker_calls)
    assert written >= 2  # the description and the reply, each masked once when written

    view = client.get(f"/api/v1/reports/{report}").get_json()
    listing = client.get("/api/v1/reports").get_json()
    open311 = client.get(f"/open311/v2/requests/{report}.json?jurisdiction_id=990019").get_json()
    assert len(masker_calls) == written
    assert view["description"] == MASKED_TEXT
    assert [item["id"] for item in listing["items"]] == [report]
    assert open311[0]["description"] == MASKED_TEXT
    assert "［電話番号］" in str(view["history"]) and "03-1111-2222" not in str(view)


def test_staff_and_the_reporter_see_the_original(client, keys):
    report = submit(client, description=PHONE_TEXT)
    staff_view = client.get(f"/api/v1/staff/reports/{report}", headers=keys.header("road_staff")).get_json()
    assert staff_view["description"] == PHONE_TEXT
    assert db.session.scalar(select(Report.description_public).where(Report.public_id == report)) == MASKED_TEXT


def test_staff_redaction_re_masks_the_public_copy(client, keys, masker_calls):
    report = submit(client, description="穴があります")
    redacted = client.patch(f"/api/v1/staff/reports/{report}", json={"description": "連絡先 taro@example.jp 以外は同じ"},
                            headers=keys.header("road_manager"))
    assert redacted.status_code == 200
    assert client.get(f"/api/v1/reports/{report}").get_json()["description"] == "連絡先 ［メールアドレス］ 以外は同じ"
    assert "連絡先 taro@example.jp 以外は同じ" in masker_calls


def test_a_write_that_leaves_the_text_alone_does_not_re_mask(client, keys, masker_calls):
    report = submit(client, description=PHONE_TEXT)
    before = len(masker_calls)
    assert client.patch(f"/api/v1/staff/reports/{report}", json={"priority": 2},
                        headers=keys.header("road_manager")).status_code == 200
    assert masker_calls[before:].count(PHONE_TEXT) == 0


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_migration_masks_rows_written_before_it(tmp_path, kind):
    database = {"DATABASE_URL": services.postgres_url("stored-masks", fresh=True)} if kind == "postgresql" else {}
    app = create_app({"DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING", "SECRET_KEY": "s", "RATE_LIMITS_ENABLED": False,
                      "CELERY_BROKER_URL": "memory://localhost/", **database})
    client = app.test_client()
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        db.session.remove()
        report = submit(client, description=PHONE_TEXT)
        # As the rows stood before the copies existed.
        db.session.execute(update(Report).values(description_public=None))
        db.session.execute(update(HistoryEntry).values(public_reply="電話 03-1111-2222", public_reply_public=None))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0018")
        upgrade()
        assert db.session.scalar(select(Report.description_public)) == MASKED_TEXT
        assert set(db.session.scalars(select(HistoryEntry.public_reply_public))) == {"電話 ［電話番号］"}
        assert client.get(f"/api/v1/reports/{report}").get_json()["description"] == MASKED_TEXT
        db.session.remove()
        db.engine.dispose()
