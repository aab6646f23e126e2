"""Response templates (定型文): admins manage them, staff are offered those that fit a report and its target status."""

from __future__ import annotations

import json

from sqlalchemy import select

from service.cli import cli
from service.extensions import db
from service.models import ResponseTemplate
from tests.admin.helpers import audit_actions, call

POTHOLE = {"title": "穴を埋めました", "body_ja": "道路の穴を埋めました。", "body_en": "We have filled the pothole.",
           "category": "road_damage", "status": "resolved"}


def offered(client, keys, report_id: str, who: str = "road_staff", **query) -> list[dict]:
    response = client.get(f"/api/v1/staff/reports/{report_id}/templates", query_string=query, headers=keys.header(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_demo_city_starts_with_templates_for_each_kind_of_reply(client, keys):
    listed = call(client, keys, "GET", "/response-templates").get_json()
    assert {"acknowledged", "in_progress", "resolved", "forwarded", "not_actionable"} <= {t["status"] for t in listed}
    assert all(t["body_ja"] for t in listed)


def test_staff_are_offered_the_most_specific_templates_first(client, keys, road_report, parks_report):
    created = call(client, keys, "POST", "/response-templates", POTHOLE)
    assert created.status_code == 201
    resolved = offered(client, keys, road_report, to="resolved")
    # Road templates before those for every category; among them, in the admins' order (the new one last).
    assert [t["title"] for t in resolved] == ["道路を補修しました", "穴を埋めました", "対応しました"]
    assert resolved[1]["text"] == "道路の穴を埋めました。"
    english = client.get(f"/api/v1/staff/reports/{road_report}/templates", query_string={"to": "resolved"},
                         headers={**keys.header("road_staff"), "Accept-Language": "en"}).get_json()
    assert english[1]["text"] == "We have filled the pothole."
    # A road template is not offered for a park report, nor a resolution reply for an acknowledgement.
    assert "穴を埋めました" not in [t["title"] for t in offered(client, keys, parks_report, who="parks_staff", to="resolved")]
    assert [t["title"] for t in offered(client, keys, road_report, to="acknowledged")] == ["受付しました"]


def test_a_withdrawn_template_is_no_longer_offered_and_changes_are_audited(client, keys, road_report):
    template_id = call(client, keys, "POST", "/response-templates", POTHOLE).get_json()["id"]
    changed = call(client, keys, "PATCH", f"/response-templates/{template_id}", {"active": False, "title": "穴の補修"})
    assert changed.status_code == 200 and changed.get_json()["active"] is False
    assert "穴の補修" not in [t["title"] for t in offered(client, keys, road_report, to="resolved")]
    assert call(client, keys, "DELETE", f"/response-templates/{template_id}").status_code == 204
    assert call(client, keys, "DELETE", f"/response-templates/{template_id}").status_code == 404
    actions = [a for a in audit_actions(client, keys) if a[1] == "response_template"]
    assert [a[0] for a in actions] == ["response_template.delete", "response_template.update", "response_template.create"]


def test_bad_templates_are_refused_per_field_and_leave_nothing(client, keys):
    before = db.session.scalar(select(db.func.count(ResponseTemplate.id)))
    unknown = call(client, keys, "POST", "/response-templates", {**POTHOLE, "category": "noise"})
    assert unknown.status_code == 422 and "category" in unknown.get_json()["errors"]
    bad_status = call(client, keys, "POST", "/response-templates", {**POTHOLE, "status": "done"})
    assert bad_status.status_code == 422 and "status" in bad_status.get_json()["errors"]
    empty = call(client, keys, "POST", "/response-templates", {**POTHOLE, "body_ja": ""})
    assert empty.status_code == 422 and "body_ja" in empty.get_json()["errors"]
    first = db.session.scalar(select(ResponseTemplate.id).order_by(ResponseTemplate.id))
    moved = call(client, keys, "PATCH", f"/response-templates/{first}", {"category": "noise", "title": "x"})
    assert moved.status_code == 422
    assert db.session.scalar(select(db.func.count(ResponseTemplate.id))) == before
    assert db.session.get(ResponseTemplate, first).title != "x"


def test_only_admins_manage_templates_and_other_cities_stay_apart(client, keys, road_report):
    assert call(client, keys, "POST", "/response-templates", POTHOLE, who="road_manager").status_code == 403
    assert call(client, keys, "GET", "/response-templates", who="other_admin").get_json() == []
    first = call(client, keys, "GET", "/response-templates").get_json()[0]["id"]
    assert call(client, keys, "PATCH", f"/response-templates/{first}", {"title": "x"}, who="other_admin").status_code == 404
    assert client.get(f"/api/v1/staff/reports/{road_report}/templates", headers=keys.header("other_admin")).status_code == 404


def test_operators_manage_templates_from_the_command_line(app, runner):
    added = runner.invoke(cli, ["templates", "add", "--jurisdiction", "990019", "--title", "清掃しました",
                                "--body-ja", "落書きを消しました。", "--category", "graffiti", "--status", "resolved", "--json"])
    assert added.exit_code == 0, added.output
    template_id = json.loads(added.output)["id"]
    listed = runner.invoke(cli, ["templates", "list", "--jurisdiction", "990019", "--json"])
    assert {"id": template_id, "category": "graffiti", "title": "清掃しました"}.items() <= next(
        t for t in json.loads(listed.output) if t["id"] == template_id).items()
    refused = runner.invoke(cli, ["templates", "add", "--jurisdiction", "990019", "--title", "x", "--body-ja", "y",
                                  "--category", "noise"])
    assert refused.exit_code != 0 and "noise" in refused.output
    removed = runner.invoke(cli, ["templates", "remove", str(template_id), "--jurisdiction", "990019"])
    assert removed.exit_code == 0 and db.session.get(ResponseTemplate, template_id) is None
