"""開示・訂正・利用停止: an admin finds, exports, corrects and erases one person's data, each act audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.cli import cli
from service.domain.rights import Identity, phone_digits
from service.extensions import db
from service.models import AuditEntry, Follower, LineEvent, LineUser, Report
from service.privacy.personal_data import IDENTITIES
from tests.privacy.people import DEVICE, EMAIL, LINE_ID, PHONE, link_line_user, report_with_photo, store

FIND = "/api/v1/staff/admin/privacy/find"


@pytest.fixture()
def person(client, keys, fixed_clock):
    """Two reports of one person (one sent through LINE), and one of somebody else."""
    first = report_with_photo(client)
    second = report_with_photo(client, phone="+81 90 1234 5678", email=EMAIL.lower(), color=(10, 200, 10))
    link_line_user(second, fixed_clock() - timedelta(days=2))
    other = report_with_photo(client, email="jiro@example.jp", phone="03-5555-6666", device="device-jiro",
                              color=(10, 10, 200))
    return first, second, other


@pytest.mark.parametrize(("by", "value"), [("email", "hanako.sato@EXAMPLE.jp"), ("phone", "０９０（１２３４）５６７８"),
                                            ("device_id", DEVICE), ("line_id", LINE_ID)])
def test_an_admin_finds_everything_held_about_a_person(client, keys, person, by, value):
    first, second, other = person
    found = client.post(FIND, json={"by": by, "value": value}, headers=keys.header("admin"))
    assert found.status_code == 200
    body = found.get_json()
    ids = [r["id"] for r in body["reports"]]
    expected = [second.public_id] if by == "line_id" else [first.public_id, second.public_id]
    assert ids == expected and other.public_id not in found.get_data(as_text=True)
    assert body["reports"][-1]["reporter_email"] == EMAIL.lower()
    assert body["reports"][-1]["photos"][0]["original_kept"] is True
    assert [u["user_id"] for u in body["line_users"]] == [LINE_ID]
    assert body["line_events"][0]["body"]["source"]["userId"] == LINE_ID
    assert {e["event_type"] for e in body["outbox"]} >= {"report.received"}
    assert {e["report"] for e in body["outbox"]} == set(expected)
    assert [k["report"] for k in body["idempotency_keys"]] == expected
    assert body["audit"] == []
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.found")).one()
    assert audit.after["reports"] == expected and audit.target_id == by
    assert value.lower() not in json.dumps(audit.after, ensure_ascii=False).lower()


def test_ratings_and_audit_rows_naming_the_person_are_found(client, keys, person):
    first, _, _ = person
    client.get(f"/api/v1/staff/reports/{first.public_id}", headers=keys.header("admin"))
    body = client.post(FIND, json={"by": "email", "value": EMAIL}, headers=keys.header("admin")).get_json()
    assert [(a["action"], a["target_id"]) for a in body["audit"]] == [("report.contact_viewed", first.public_id)]


def test_only_admins_of_the_jurisdiction_may_ask(client, keys, person):
    for who in ("road_manager", "road_staff", "road_viewer"):
        assert client.post(FIND, json={"by": "email", "value": EMAIL}, headers=keys.header(who)).status_code == 403
    assert client.post(FIND, json={"by": "email", "value": EMAIL}).status_code == 401
    elsewhere = client.post(FIND, json={"by": "email", "value": EMAIL}, headers=keys.header("other_admin"))
    assert elsewhere.status_code == 200 and elsewhere.get_json()["reports"] == []


@pytest.mark.parametrize("body", [{"by": "name", "value": "佐藤"}, {"by": "email"}, {"by": "phone", "value": "---"},
                                  {"by": "email", "value": EMAIL, "extra": 1}, {"by": "email", "value": "x" * 300}])
def test_a_bad_request_is_a_clear_4xx(client, keys, person, body):
    response = client.post(FIND, json=body, headers=keys.header("admin"))
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("privacy.%"))) == 0


def test_the_export_is_json_or_csv_and_audited(client, keys, person):
    first, second, _ = person
    as_json = client.post("/api/v1/staff/admin/privacy/export", json={"by": "email", "value": EMAIL},
                          headers=keys.header("admin"))
    assert as_json.status_code == 200 and [r["id"] for r in as_json.get_json()["reports"]] == [first.public_id, second.public_id]
    as_csv = client.post("/api/v1/staff/admin/privacy/export", json={"by": "email", "value": EMAIL, "format": "csv"},
                         headers=keys.header("admin"))
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    assert "attachment" in as_csv.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["section", "record", "field", "value"]
    assert ["reports", first.public_id, "reporter_phone", PHONE] in rows
    assert ["line_users", str(db.session.scalar(select(LineUser.id))), "user_id", LINE_ID] in rows
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("privacy.%"))).all()
    assert actions == ["privacy.exported", "privacy.exported"]


def test_correcting_contact_rewrites_every_report_of_the_person(client, keys, person):
    first, second, other = person
    corrected = client.post("/api/v1/staff/admin/privacy/correct",
                            json={"by": "phone", "value": PHONE, "changes": {"reporter_email": "hanako@example.com",
                                                                             "reporter_phone": "080-9999-0000"}},
                            headers=keys.header("admin"))
    assert corrected.status_code == 200
    assert corrected.get_json() == {"reports": [first.public_id, second.public_id], "fields": ["reporter_email", "reporter_phone"]}
    db.session.expire_all()
    assert {(r.reporter_email, r.reporter_phone) for r in db.session.scalars(select(Report).where(Report.id.in_([first.id, second.id])))} == {
        ("hanako@example.com", "080-9999-0000")}
    assert db.session.get(Report, other.id).reporter_email == "jiro@example.jp"
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.corrected")).one()
    assert "hanako@example.com" not in json.dumps(audit.after)
    refused = client.post("/api/v1/staff/admin/privacy/correct",
                          json={"by": "phone", "value": PHONE, "changes": {"device_id": "x"}}, headers=keys.header("admin"))
    assert refused.status_code == 422
    nobody = client.post("/api/v1/staff/admin/privacy/correct",
                         json={"by": "email", "value": "nobody@example.jp", "changes": {"reporter_name": "x"}},
                         headers=keys.header("admin"))
    assert nobody.status_code == 404 and nobody.content_type == "application/problem+json"


def test_erasing_removes_contact_ids_originals_and_line_data(app, client, keys, person):
    first, second, other = person
    originals = [first.photos[0].original_key, second.photos[0].original_key]
    erased = client.post("/api/v1/staff/admin/privacy/erase", json={"by": "device_id", "value": DEVICE},
                         headers=keys.header("admin"))
    assert erased.status_code == 200
    assert erased.get_json() == {"reports": [first.public_id, second.public_id], "originals_deleted": 2, "line_users_deleted": 1,
                                 "followers_deleted": 0}
    assert not any(store(app).exists(key) for key in originals)
    assert store(app).exists(other.photos[0].original_key)
    assert db.session.scalar(select(func.count()).select_from(LineUser)) == 0
    assert db.session.scalar(select(func.count()).select_from(LineEvent)) == 0
    again = client.post(FIND, json={"by": "email", "value": EMAIL}, headers=keys.header("admin")).get_json()
    assert again["reports"] == [] and again["line_users"] == []
    # The reports themselves, and their public pages, stay.
    assert client.get(f"/api/v1/reports/{first.public_id}").status_code == 200
    view = client.get(f"/api/v1/staff/reports/{first.public_id}", headers=keys.header("admin")).get_json()
    assert view["reporter"] == {"name": None, "email": None, "phone": None} and view["device_id"] is None
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "privacy.erased")).all() == ["privacy.erased"]


def test_the_commands_do_the_same(app, client, keys, person, runner):
    first, second, _ = person
    found = runner.invoke(cli, ["privacy", "find", "--jurisdiction", "990019", "--by", "email", "--value", EMAIL])
    assert found.exit_code == 0 and [r["id"] for r in json.loads(found.output)["reports"]] == [first.public_id, second.public_id]
    exported = runner.invoke(cli, ["privacy", "export", "--jurisdiction", "990019", "--by", "line_id", "--value", LINE_ID,
                                   "--format", "csv"])
    assert exported.exit_code == 0 and exported.output.splitlines()[0] == "section,record,field,value"
    assert f"reports,{second.public_id},reporter_email,{EMAIL.lower()}" in exported.output
    corrected = runner.invoke(cli, ["privacy", "correct", "--jurisdiction", "990019", "--by", "email", "--value", EMAIL,
                                    "--set", "reporter_name=佐藤 花子", "--json"])
    assert corrected.exit_code == 0 and json.loads(corrected.output)["fields"] == ["reporter_name"]
    bad = runner.invoke(cli, ["privacy", "correct", "--jurisdiction", "990019", "--by", "email", "--value", EMAIL,
                              "--set", "device_id=x"])
    assert bad.exit_code != 0 and "Only" in bad.output
    unsure = runner.invoke(cli, ["privacy", "erase", "--jurisdiction", "990019", "--by", "email", "--value", EMAIL], input="n\n")
    assert unsure.exit_code != 0 and db.session.get(Report, first.id).reporter_email is not None
    erased = runner.invoke(cli, ["privacy", "erase", "--jurisdiction", "990019", "--by", "email", "--value", EMAIL, "--yes", "--json"])
    assert erased.exit_code == 0 and json.loads(erased.output)["reports"] == [first.public_id, second.public_id]
    db.session.expire_all()
    assert db.session.get(Report, first.id).reporter_email is None
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("privacy.%")).order_by(AuditEntry.id)).all()
    assert actions == ["privacy.found", "privacy.exported", "privacy.corrected", "privacy.erased"]


def test_telephone_numbers_in_any_form_are_one_number():
    assert phone_digits("+81 90-1234-5678") == phone_digits("090（1234）5678") == "09012345678"
    assert Identity.parse("phone", "０９０-１２３４-５６７８").value == "09012345678"


def test_the_schema_knows_every_identity_kind():
    from schemas.privacy import IDENTITY_KINDS

    assert IDENTITY_KINDS == IDENTITIES


def test_a_follower_is_found_exported_and_erased_while_other_follows_stay(client, keys, person):
    first, _, other = person
    for report, email in ((other, EMAIL), (other, "jiro@example.jp"), (first, "jiro@example.jp")):
        assert client.post(f"/api/v1/reports/{report.public_id}/followers", json={"email": email, "email_updates": True}).status_code in (200, 201)
    found = client.post(FIND, json={"by": "email", "value": EMAIL.upper()}, headers=keys.header("admin")).get_json()
    assert [(f["report"], f["email"], f["email_updates"]) for f in found["followers"]] == [(other.public_id, EMAIL.lower(), True)]
    exported = client.post("/api/v1/staff/admin/privacy/export", json={"by": "email", "value": EMAIL, "format": "csv"},
                           headers=keys.header("admin"))
    assert exported.status_code == 200
    assert ["followers", other.public_id, "email", EMAIL.lower()] in list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    erased = client.post("/api/v1/staff/admin/privacy/erase", json={"by": "email", "value": EMAIL}, headers=keys.header("admin"))
    assert erased.status_code == 200 and erased.get_json()["followers_deleted"] == 1
    left = db.session.execute(select(Follower.report_id, Follower.email).order_by(Follower.id)).all()
    assert left == [(other.id, "jiro@example.jp"), (first.id, "jiro@example.jp")]
