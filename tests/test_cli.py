"""The `machikoe` command."""

from __future__ import annotations

import json

from sqlalchemy import select

from service.cli import cli
from service.domain.staff_keys import hash_api_key
from service.extensions import db
from service.models import Department, Jurisdiction, Staff


def test_staff_create_prints_the_key_once_and_stores_its_hash(runner):
    result = runner.invoke(cli, ["staff", "create", "--name", "道路 太郎", "--role", "staff", "--jurisdiction", "990019",
                                 "--department", "road", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == {"id", "name", "role", "api_key"} and body["role"] == "staff"
    member = db.session.scalar(select(Staff).where(Staff.id == body["id"]))
    assert member.key_hash == hash_api_key(body["api_key"]) and body["api_key"] not in member.key_hash
    assert body["api_key"].startswith(f"mk_{member.key_prefix}_")


def test_staff_create_refuses_bad_codes_and_missing_department(runner):
    bad_code = runner.invoke(cli, ["staff", "create", "--name", "x", "--role", "admin", "--jurisdiction", "990018", "--json"])
    assert bad_code.exit_code != 0 and "not a valid local government code" in bad_code.output
    no_department = runner.invoke(cli, ["staff", "create", "--name", "x", "--role", "staff", "--jurisdiction", "990019"])
    assert no_department.exit_code != 0 and "--department" in no_department.output
    assert db.session.scalar(select(Staff)) is None


def test_seed_demo_again_succeeds_and_changes_nothing(runner):
    before = db.session.query(Jurisdiction).count(), db.session.query(Department).count()
    result = runner.invoke(cli, ["seed-demo"])
    assert result.exit_code == 0 and "exists already; nothing to do" in result.output
    assert (db.session.query(Jurisdiction).count(), db.session.query(Department).count()) == before
