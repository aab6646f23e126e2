"""The `machikoe` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from service import create_app
from service.cli import cli
from service.domain.staff_keys import hash_api_key
from service.extensions import db
from service.models import Category, Department, Jurisdiction, RoutingRule, Staff


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


def run(runner, *args):
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_every_resource_lists_as_a_table_and_as_json(runner):
    for group, columns in (("departments", "code"), ("categories", "code"), ("areas", "layer"), ("rules", "priority"),
                           ("staff", "role"), ("clients", "key_prefix"), ("subscribers", "kind")):
        table = runner.invoke(cli, [group, "list", "--jurisdiction", "990019"])
        assert table.exit_code == 0 and (columns in table.output.splitlines()[0] or table.output == "(none)\n"), group
        as_json = json.loads(run(runner, group, "list", "--jurisdiction", "990019", "--json"))
        assert isinstance(as_json, list), group
    jurisdictions = json.loads(run(runner, "jurisdictions", "list", "--json"))
    assert [j["code"] for j in jurisdictions] == ["990019"] and jurisdictions[0]["departments"] == 6
    assert "みなと市" in run(runner, "jurisdictions", "show", "990019")


def test_a_department_is_shown_updated_and_deleted_or_deactivated(runner):
    run(runner, "departments", "create", "--jurisdiction", "990019", "--code", "bridges", "--name-ja", "橋梁課",
        "--name-en", "Bridges")
    shown = json.loads(run(runner, "departments", "show", "bridges", "--jurisdiction", "990019", "--json"))
    assert shown["name_ja"] == "橋梁課" and shown["active"] is True
    updated = json.loads(run(runner, "departments", "update", "bridges", "--jurisdiction", "990019",
                             "--email", "kyoryo@example.jp", "--inactive", "--json"))
    assert updated["email"] == "kyoryo@example.jp" and updated["active"] is False
    run(runner, "departments", "delete", "bridges", "--jurisdiction", "990019")
    assert db.session.scalar(select(Department).where(Department.code == "bridges")) is None
    # A department that rules refer to is kept; the message says how to retire it.
    refused = runner.invoke(cli, ["departments", "delete", "road", "--jurisdiction", "990019"])
    assert refused.exit_code != 0 and "active to false" in refused.output and "Traceback" not in refused.output


def test_categories_are_withdrawn_not_deleted(runner):
    updated = json.loads(run(runner, "categories", "update", "graffiti", "--jurisdiction", "990019", "--inactive",
                             "--resolution-days", "30", "--json"))
    assert updated["active"] is False and updated["resolution_days"] == 30
    assert db.session.scalar(select(Category).where(Category.code == "graffiti")).active is False


def test_rules_are_listed_in_order_updated_and_deleted(runner):
    rules = json.loads(run(runner, "rules", "list", "--jurisdiction", "990019", "--json"))
    assert [r["priority"] for r in rules] == sorted(r["priority"] for r in rules)
    first = rules[0]["id"]
    changed = json.loads(run(runner, "rules", "update", str(first), "--jurisdiction", "990019", "--priority", "99",
                             "--department", "road", "--json"))
    assert changed["priority"] == 99 and changed["department"] == "road"
    run(runner, "rules", "delete", str(first), "--jurisdiction", "990019")
    assert db.session.get(RoutingRule, first) is None
    missing = runner.invoke(cli, ["rules", "show", str(first), "--jurisdiction", "990019"])
    assert missing.exit_code != 0 and f"no rule {first}" in missing.output


def test_a_rules_category_and_area_are_changed_kept_and_cleared(runner):
    rule = json.loads(run(runner, "rules", "list", "--jurisdiction", "990019", "--json"))[0]
    ward = json.loads(run(runner, "areas", "list", "--jurisdiction", "990019", "--layer", "ward", "--json"))[0]
    changed = json.loads(run(runner, "rules", "update", str(rule["id"]), "--jurisdiction", "990019",
                             "--category", "graffiti", "--area", f"ward:{ward['code']}", "--json"))
    assert changed["category"] == "graffiti" and changed["area"] == f"ward:{ward['code']}"
    assert changed["department"] == rule["department"] and changed["priority"] == rule["priority"]
    # An unknown category is refused and changes nothing, the area included.
    refused = runner.invoke(cli, ["rules", "update", str(rule["id"]), "--jurisdiction", "990019",
                                  "--category", "no_such", "--area", "anywhere"])
    assert refused.exit_code != 0 and "no_such" in refused.output and "Traceback" not in refused.output
    shown = json.loads(run(runner, "rules", "show", str(rule["id"]), "--jurisdiction", "990019", "--json"))
    assert (shown["category"], shown["area"]) == ("graffiti", f"ward:{ward['code']}")
    cleared = json.loads(run(runner, "rules", "update", str(rule["id"]), "--jurisdiction", "990019",
                             "--category", "any", "--area", "anywhere", "--json"))
    assert cleared["category"] is None and cleared["area"] is None


def test_areas_are_shown_renamed_and_deleted(runner):
    areas = json.loads(run(runner, "areas", "list", "--jurisdiction", "990019", "--layer", "ward", "--json"))
    ref = f"ward:{areas[0]['code']}"
    renamed = json.loads(run(runner, "areas", "update", ref, "--jurisdiction", "990019", "--name-en", "Central",
                             "--json"))
    assert renamed["name_en"] == "Central"
    run(runner, "areas", "delete", ref, "--jurisdiction", "990019")
    assert runner.invoke(cli, ["areas", "show", ref, "--jurisdiction", "990019"]).exit_code != 0


def test_staff_and_client_keys_are_listed_without_secrets_and_revoked(runner):
    member = json.loads(run(runner, "staff", "create", "--name", "係長", "--role", "admin", "--jurisdiction", "990019",
                            "--json"))
    client = json.loads(run(runner, "clients", "create", "--name", "FixMyStreet", "--jurisdiction", "99001", "--json"))
    assert client["jurisdiction"] == "990019"
    listed = run(runner, "staff", "list", "--jurisdiction", "990019", "--json")
    assert member["api_key"] not in listed and "係長" in listed
    moved = json.loads(run(runner, "staff", "update", str(member["id"]), "--jurisdiction", "990019", "--role",
                           "manager", "--department", "road", "--json"))
    assert (moved["role"], moved["department"]) == ("manager", "road")
    lone = runner.invoke(cli, ["staff", "update", str(member["id"]), "--jurisdiction", "990019", "--department", "x"])
    assert lone.exit_code != 0 and "no department 'x'" in lone.output
    run(runner, "staff", "revoke", str(member["id"]), "--jurisdiction", "990019")
    run(runner, "clients", "revoke", str(client["id"]), "--jurisdiction", "990019")
    assert json.loads(run(runner, "staff", "list", "--jurisdiction", "990019", "--json")) == []
    assert json.loads(run(runner, "staff", "show", str(member["id"]), "--jurisdiction", "990019", "--json"))["revoked_at"]
    assert json.loads(run(runner, "clients", "show", str(client["id"]), "--jurisdiction", "990019", "--json"))["revoked"]


def test_subscribers_are_created_deactivated_and_deleted(runner):
    created = json.loads(run(runner, "subscribers", "create", "--jurisdiction", "990019", "--kind", "email",
                             "--name", "道路課メール", "--department", "road", "--email", "road@example.jp", "--json"))
    paused = json.loads(run(runner, "subscribers", "update", str(created["id"]), "--jurisdiction", "990019",
                            "--inactive", "--json"))
    assert paused["active"] is False and "secret" not in paused
    run(runner, "subscribers", "delete", str(created["id"]), "--jurisdiction", "990019")
    assert json.loads(run(runner, "subscribers", "list", "--jurisdiction", "990019", "--json")) == []


def test_a_jurisdiction_with_reports_is_kept(runner, client):
    from tests.conftest import INSIDE

    assert client.post("/api/v1/reports", json={"category": "graffiti", "description": "落書き", **INSIDE}).status_code == 201
    refused = runner.invoke(cli, ["jurisdictions", "delete", "990019", "--yes"])
    assert refused.exit_code != 0 and "reports, which are kept" in refused.output
    renamed = json.loads(run(runner, "jurisdictions", "update", "990019", "--name-en", "Minato", "--json"))
    assert renamed["name_en"] == "Minato"


def test_a_jurisdiction_without_reports_is_deleted_with_its_setup(runner):
    run(runner, "jurisdictions", "delete", "990019", "--yes")
    assert db.session.query(Jurisdiction).count() == 0 and db.session.query(Department).count() == 0


def test_version_and_the_commands_offered(runner):
    assert run(runner, "--version").startswith("machikoe, version ")
    listed = run(runner, "--help")
    assert "setup" in listed and "serve" in listed
    # Flask's development server would accept reports and never process them.
    assert "\n  run " not in listed and runner.invoke(cli, ["run"]).exit_code != 0


def test_an_unmigrated_database_is_named_with_what_to_run(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": "memory://localhost/"})
    result = app.test_cli_runner().invoke(cli, ["jurisdictions", "list"])
    assert result.exit_code != 0 and "machikoe db upgrade" in result.output
    assert str(tmp_path) in result.output and "Traceback" not in result.output


def test_a_new_data_directory_is_named_and_the_env_file_is_read(tmp_path):
    data_dir = tmp_path / "machikoe-data"
    env_file = tmp_path / "machikoe.env"
    env_file.write_text(f"MACHIKOE_DATA_DIR={data_dir}\nMACHIKOE_LOG_LEVEL=WARNING\n", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MACHIKOE_", "DATABASE_URL", "REDIS_URL"))}
    done = subprocess.run([str(Path(sys.executable).parent / "machikoe"), "-e", str(env_file), "jurisdictions", "list"],
                          check=False, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)
    assert f"created the data directory {data_dir}" in done.stderr
    assert "machikoe db upgrade" in done.stderr and "Traceback" not in done.stderr
    assert data_dir.is_dir() and not (tmp_path / "var").exists()


def test_a_command_starts_without_the_libraries_only_line_and_s3_need(tmp_path: Path) -> None:
    # The LINE SDK and boto3 take seconds to import; a command, a web or a worker process that
    # never speaks to LINE or S3 does not pay them (they load when first used).
    probe = ("import sys\nimport service.cli\nfrom service import create_app\ncreate_app()\n"
             "print(','.join(m for m in ('linebot', 'boto3') if m in sys.modules) or 'none')")
    result = subprocess.run([sys.executable, "-c", probe], env={**os.environ, "MACHIKOE_DATA_DIR": str(tmp_path)},
                            capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "none", result.stdout + result.stderr
