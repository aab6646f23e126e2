"""Operator commands set residents' texts in each of the seven languages, the same way: a repeatable --FIELD LANG=TEXT."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from service.cli import cli
from service.domain.languages import LANGUAGES
from service.extensions import db
from service.models import Category, Department

NAMES = {"ja": "橋梁課", "ja-x-easy": "はしの かかり", "en": "Bridges", "zh-Hans": "桥梁科", "ko": "교량과", "vi": "Phòng Cầu",
         "pt": "Seção de Pontes"}


def run(runner, *args: str) -> dict:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.output)


def refused(runner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    return result.output


def each(option: str, texts: dict[str, str]) -> list[str]:
    return [part for language, text in texts.items() for part in (option, f"{language}={text}")]


def test_a_department_is_created_and_renamed_in_every_language(runner):
    created = run(runner, "departments", "create", "--jurisdiction", "990019", "--code", "bridges", *each("--name", NAMES),
                  "--json")
    assert created["name"] == NAMES and list(created["name"]) == list(LANGUAGES)
    assert (created["name_ja"], created["name_en"]) == ("橋梁課", "Bridges")
    renamed = run(runner, "departments", "update", "bridges", "--jurisdiction", "990019", "--name", "vi=Phòng Cầu đường",
                  "--name", "ko=", "--json")
    assert renamed["name"]["vi"] == "Phòng Cầu đường" and "ko" not in renamed["name"] and renamed["name"]["pt"] == NAMES["pt"]
    shown = run(runner, "departments", "show", "bridges", "--jurisdiction", "990019", "--json")
    assert shown["name"] == renamed["name"]
    department = db.session.scalar(select(Department).where(Department.code == "bridges"))
    assert department.translations["zh-Hans"] == {"name": "桥梁科"} and "ko" not in department.translations


def test_a_category_s_name_and_notice_are_set_per_language_and_residents_read_them(runner, client):
    updated = run(runner, "categories", "update", "graffiti", "--jurisdiction", "990019", "--name", "vi=Vẽ bậy",
                  "--name", "pt=Pichação", "--notice", "en=Photos of faces are blurred.", "--notice", "vi=Khuôn mặt sẽ được làm mờ.",
                  "--json")
    assert updated["name"]["vi"] == "Vẽ bậy" and updated["name"]["pt"] == "Pichação" and updated["name"]["ja"]
    assert updated["notice"] == {"en": "Photos of faces are blurred.", "vi": "Khuôn mặt sẽ được làm mờ."}
    listed = client.get("/api/v1/categories?lang=vi").get_json()
    graffiti = next(c for c in listed if c["code"] == "graffiti")
    assert graffiti["name"] == "Vẽ bậy" and graffiti["notice"] == "Khuôn mặt sẽ được làm mờ."
    # LANG= removes a notice; the older --name-ja still works and means --name ja=.
    cleared = run(runner, "categories", "update", "graffiti", "--jurisdiction", "990019", "--notice", "vi=",
                  "--name-ja", "落書き（壁・塀）", "--json")
    assert cleared["notice"] == {"en": "Photos of faces are blurred."} and cleared["name"]["ja"] == "落書き（壁・塀）"
    # The language's other texts (the catalogue's description) stay as they were.
    vietnamese = db.session.scalar(select(Category).where(Category.code == "graffiti")).translations["vi"]
    assert vietnamese["name"] == "Vẽ bậy" and "notice" not in vietnamese and vietnamese["description"]


def test_a_template_s_reply_is_added_and_changed_in_every_language(runner):
    bodies = {language: f"{name}: 補修しました" for language, name in NAMES.items()}
    added = run(runner, "templates", "add", "--jurisdiction", "990019", "--title", "補修", *each("--body", bodies), "--json")
    assert added["body"] == bodies and added["body_ja"] == bodies["ja"] and added["body_en"] == bodies["en"]
    changed = run(runner, "templates", "update", str(added["id"]), "--jurisdiction", "990019", "--body", "pt=Consertamos.",
                  "--body", "en=", "--json")
    assert changed["body"]["pt"] == "Consertamos." and "en" not in changed["body"] and changed["body_en"] is None
    listed = run(runner, "templates", "list", "--jurisdiction", "990019", "--json")
    assert next(t for t in listed if t["id"] == added["id"])["body"] == changed["body"]


@pytest.mark.parametrize(("args", "says"), [
    (("categories", "update", "graffiti", "--name", "fr=Graffiti"), "LANG one of ja, ja-x-easy, en, zh-Hans, ko, vi, pt"),
    (("categories", "update", "graffiti", "--name", "Graffiti"), "give LANG=TEXT"),
    (("categories", "update", "graffiti", "--name", "vi=a", "--name", "VI=b"), "vi is given twice"),
    (("categories", "update", "graffiti", "--name", "en="), "cannot be empty"),
    (("categories", "update", "graffiti", "--name", "ja=落書き", "--name-ja", "らくがき"), "say different things"),
    (("departments", "create", "--code", "x", "--name", "ja=課"), "--name en=TEXT"),
    (("templates", "add", "--title", "x", "--body", "en=Done"), "--body ja=TEXT"),
])
def test_a_text_in_no_language_or_a_missing_required_one_is_refused_and_nothing_changes(runner, args, says):
    before = db.session.scalar(select(Category).where(Category.code == "graffiti"))
    names = (before.name_ja, before.name_en, dict(before.translations or {}))
    output = refused(runner, *args, "--jurisdiction", "990019")
    assert says in output
    db.session.expire_all()
    after = db.session.scalar(select(Category).where(Category.code == "graffiti"))
    assert (after.name_ja, after.name_en, dict(after.translations or {})) == names
    assert db.session.scalar(select(Department).where(Department.code == "x")) is None


def test_the_table_shows_a_record_s_texts_by_language(runner):
    run(runner, "departments", "create", "--jurisdiction", "990019", "--code", "bridges", *each("--name", NAMES), "--json")
    table = runner.invoke(cli, ["departments", "show", "bridges", "--jurisdiction", "990019"]).output
    assert "ja=橋梁課; ja-x-easy=はしの かかり; en=Bridges; zh-Hans=桥梁科; ko=교량과; vi=Phòng Cầu; pt=Seção de Pontes" in table
