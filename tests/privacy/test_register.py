"""`machikoe privacy register`: the 個人情報ファイル簿 entry, from the schema, the roles and the settings."""

from __future__ import annotations

import json

from service.cli import cli
from service.commands.common import Operator
from service.domain import jurisdictions as setup
from service.domain import subscribers
from service.extensions import db
from service.privacy.personal_data import PERSONAL_FIELDS

HEADINGS = ("個人情報ファイルの名称", "利用目的", "記録項目", "記録範囲", "記録情報の収集方法", "保有期間", "閲覧できる者", "提供先")


def _entry(runner) -> dict:
    result = runner.invoke(cli, ["privacy", "register", "--jurisdiction", "990019", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_register_lists_every_declared_personal_field(app, runner, road_report):
    entry = _entry(runner)
    assert set(HEADINGS) <= set(entry)
    assert [(item["テーブル"], item["列"]) for item in entry["記録項目"]] == [(f.table, f.name) for f in PERSONAL_FIELDS]
    email = next(item for item in entry["記録項目"] if item["列"] == "reporter_email")
    assert email["項目"] == "通報者のメールアドレス"
    assert "閲覧職員（担当課の通報のみ）" in email["閲覧できる者"] and "管理者（自治体全体）" in email["閲覧できる者"]
    original = next(item for item in entry["記録項目"] if item["列"] == "description_original")
    assert original["閲覧できる者"] == "管理者（自治体全体）"
    assert "通報 1 件、うち連絡先のあるもの 1 件" in entry["記録範囲"]
    assert entry["提供先"] == ["なし（庁外への提供は行わない）"]


def test_the_retention_setting_and_subscribers_show_in_the_register(app, runner, keys):
    assert "から365日" in _entry(runner)["保有期間"]
    runner.invoke(cli, ["privacy", "retention", "--jurisdiction", "990019", "--days", "90"])
    jurisdiction = setup.get_jurisdiction(db.session, "990019")
    subscribers.create_subscriber(db.session, Operator(jurisdiction_id=jurisdiction.id), department=None, secret=None,
                                  kind="push_gateway", name="アプリ", url="https://push.example.jp/hook", email=None)
    db.session.commit()
    entry = _entry(runner)
    assert "から90日" in entry["保有期間"]
    assert entry["提供先"] == ["端末IDを、通知を届けるためアプリのプッシュ通知ゲートウェイ（1件）へ送る"]


def test_the_text_form_is_japanese_headings(app, runner):
    result = runner.invoke(cli, ["privacy", "register", "--jurisdiction", "990019"])
    assert result.exit_code == 0
    for heading in HEADINGS:
        assert f"【{heading}】" in result.output
    assert "・通報者の電話番号（report.reporter_phone）" in result.output
    unknown = runner.invoke(cli, ["privacy", "register", "--jurisdiction", "999999"])
    assert unknown.exit_code != 0 and "Traceback" not in unknown.output
