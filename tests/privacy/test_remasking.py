"""Stored masks are made again when the masking rules change: by the command, in batches, and by the privacy job."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from service.cli import cli
from service.extensions import db
from service.models import HistoryEntry, Report
from service.privacy import masking, remasking
from service.privacy.masking import Kind
from tests.staff.conftest import submit
from workers.privacy import privacy_purge

DESCRIPTION = "歩道に穴があります。090-1234-5678に連絡ください"
REPLY = "担当 03-1111-2222 までどうぞ"
NEW_PLACEHOLDER = "［電話番号・非公開］"


def _remask(runner, *args: str) -> dict[str, dict]:
    result = runner.invoke(cli, ["privacy", "remask", "--json", *args])
    assert result.exit_code == 0, result.output
    return {part["column"]: part for part in json.loads(result.output)}


def _public(client, public_id: str) -> tuple[str, list[str]]:
    view = client.get(f"/api/v1/reports/{public_id}").get_json()
    return view["description"], [entry["public_reply"] for entry in view["history"] if entry.get("public_reply")]


def _report_with_reply(client, keys) -> str:
    public_id = submit(client, description=DESCRIPTION)
    assert client.post(f"/api/v1/staff/reports/{public_id}/comments", json={"public_reply": REPLY},
                       headers=keys.header("road_staff")).status_code == 201
    return public_id


def _new_rules(monkeypatch) -> None:
    # A change of the rules: telephone numbers now read differently, and the version says so.
    monkeypatch.setitem(masking.PLACEHOLDERS, Kind.PHONE, NEW_PLACEHOLDER)
    monkeypatch.setattr(masking, "RULES_VERSION", masking.RULES_VERSION + 1)


def test_a_change_of_the_rules_reaches_the_public_view_once_remasked(app, client, keys, runner, monkeypatch):
    public_id = _report_with_reply(client, keys)
    plain = submit(client, description="街灯が切れています")
    assert _public(client, public_id) == ("歩道に穴があります。［電話番号］に連絡ください", ["担当 ［電話番号］ までどうぞ"])

    _new_rules(monkeypatch)
    # The stored copies were made under the old rules, and public reads keep showing them until remasked.
    assert _public(client, public_id)[0] == "歩道に穴があります。［電話番号］に連絡ください"
    planned = _remask(runner, "--dry-run")
    assert (planned["report.description_public"]["stale"], planned["report.description_public"]["changed"]) == (2, 1)
    assert planned["history_entry.public_reply_public"]["changed"] == 1
    assert _public(client, public_id)[0] == "歩道に穴があります。［電話番号］に連絡ください"

    done = _remask(runner)
    assert done == planned
    assert _public(client, public_id) == (f"歩道に穴があります。{NEW_PLACEHOLDER}に連絡ください", [f"担当 {NEW_PLACEHOLDER} までどうぞ"])
    assert client.get(f"/api/v1/reports/{plain}").get_json()["description"] == "街灯が切れています"
    # Staff still read what was written.
    staff = client.get(f"/api/v1/staff/reports/{public_id}", headers=keys.header("road_staff")).get_json()
    assert staff["description"] == DESCRIPTION
    versions = db.session.scalars(select(Report.mask_version)).all()
    assert versions == [masking.RULES_VERSION] * 2
    again = _remask(runner)
    assert {part["stale"] for part in again.values()} == {0}
    table = runner.invoke(cli, ["privacy", "remask", "--dry-run"])
    assert table.exit_code == 0 and "report.description_public" in table.output


def test_copies_from_before_versions_were_recorded_are_masked_again_by_the_privacy_job(app, client, keys, monkeypatch):
    public_id = _report_with_reply(client, keys)
    # As a row written before the rules knew telephone numbers, and before copies recorded their version.
    db.session.execute(update(Report).values(description_public=DESCRIPTION, mask_version=None))
    db.session.execute(update(HistoryEntry).where(HistoryEntry.public_reply.is_not(None))
                       .values(public_reply_public=REPLY, mask_version=None))
    db.session.commit()
    assert _public(client, public_id) == (DESCRIPTION, [REPLY])

    monkeypatch.setattr(remasking, "ROWS_PER_RUN", 1)
    privacy_purge.run()
    assert _public(client, public_id) == ("歩道に穴があります。［電話番号］に連絡ください", ["担当 ［電話番号］ までどうぞ"])
    db.session.expire_all()
    assert db.session.scalar(select(HistoryEntry.mask_version).where(HistoryEntry.public_reply.is_not(None))) == masking.RULES_VERSION


def test_each_run_is_bounded_and_the_rest_follow_in_later_runs(app, client, keys, monkeypatch):
    ids = [submit(client, description=f"ごみの不法投棄 連絡先 090-0000-000{n}") for n in range(5)]
    _new_rules(monkeypatch)
    first = remasking.remask(db.session(), max_rows=3, batch=2)
    assert [(part.column, part.stale) for part in first] == [("report.description_public", 3),
                                                            ("history_entry.public_reply_public", 0)]
    shown = [client.get(f"/api/v1/reports/{public_id}").get_json()["description"] for public_id in ids]
    assert [NEW_PLACEHOLDER in text for text in shown] == [True, True, True, False, False]
    rest = remasking.remask(db.session(), batch=2)
    assert rest[0].stale == 2 and rest[0].changed == 2
    shown = [client.get(f"/api/v1/reports/{public_id}").get_json()["description"] for public_id in ids]
    assert all(NEW_PLACEHOLDER in text for text in shown)


def test_a_text_written_while_its_batch_is_masked_keeps_the_copy_of_its_own(app, client, keys, monkeypatch):
    public_id = submit(client, description=DESCRIPTION)
    _new_rules(monkeypatch)
    real = remasking.masked

    def edited_meanwhile(text):
        # Staff redact the description after the batch read it and before the batch writes.
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        report.description = "連絡先は taro@example.jp です"
        db.session.flush()
        return real(text)

    monkeypatch.setattr(remasking, "masked", edited_meanwhile)
    remasking.remask(db.session())
    assert client.get(f"/api/v1/reports/{public_id}").get_json()["description"] == "連絡先は ［メールアドレス］ です"
