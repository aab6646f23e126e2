"""`machikoe categories|departments|jurisdictions update` set urgency, notices, phones and what is not taken."""

from __future__ import annotations

import json

from service.cli import cli
from tests.test_cli import run


def test_the_commands_set_and_show_an_urgent_category_and_its_phone(runner, client):
    department = json.loads(run(runner, "departments", "update", "road", "--jurisdiction", "990019", "--phone", "025-552-1511",
                                "--json"))
    assert department["phone"] == "025-552-1511"
    category = json.loads(run(runner, "categories", "update", "road_damage", "--jurisdiction", "990019", "--urgent",
                              "--notice-ja", "危ない穴はすぐ電話を。", "--json"))
    assert category["urgent"] is True and category["notice_ja"] == "危ない穴はすぐ電話を。"
    shown = next(c for c in client.get("/api/v1/categories?lang=ja").get_json()
                 if c["code"] == "road_damage" and c["jurisdiction"] == "990019")
    assert shown["phone"] == "025-552-1511" and shown["notice"] == "危ない穴はすぐ電話を。"
    table = run(runner, "categories", "list", "--jurisdiction", "990019")
    assert "urgent" in table.splitlines()[0]
    cleared = json.loads(run(runner, "categories", "update", "road_damage", "--jurisdiction", "990019", "--not-urgent",
                             "--notice-ja", "", "--json"))
    assert cleared["urgent"] is False and cleared["notice_ja"] is None


def test_a_bad_phone_is_refused_and_nothing_changes(runner):
    refused = runner.invoke(cli, ["departments", "update", "road", "--jurisdiction", "990019", "--phone", "call us"])
    assert refused.exit_code == 2 and "not a phone number" in refused.output
    shown = json.loads(run(runner, "departments", "show", "road", "--jurisdiction", "990019", "--json"))
    assert shown["phone"] is None


def test_the_jurisdiction_says_what_it_does_not_take(runner):
    shown = json.loads(run(runner, "jurisdictions", "update", "990019", "--not-taken-ja", "雪の情報は受け付けていません。",
                           "--json"))
    assert shown["not_taken_ja"] == "雪の情報は受け付けていません。"
    assert "雪の情報" in run(runner, "jurisdictions", "show", "990019")
    assert json.loads(run(runner, "jurisdictions", "update", "990019", "--not-taken-ja", "", "--json"))["not_taken_ja"] is None


def test_vendoring_an_unknown_package_is_refused_before_anything_is_fetched(runner):
    refused = runner.invoke(cli, ["web", "vendor", "--only", "left-pad", "--npm", "/nonexistent/npm"])
    assert refused.exit_code == 1 and "not a vendored package: left-pad" in refused.output
