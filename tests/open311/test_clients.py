"""Keys for client systems: from the command line and from the admin API."""

from __future__ import annotations

import json

from sqlalchemy import select

from service.cli import cli
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import ApiClient, AuditEntry
from tests.open311.conftest import assert_open311_error, post_request

ADMIN = "/api/v1/staff/admin/clients"


def test_clients_create_prints_one_json_object_with_a_working_api_key(runner, client) -> None:
    result = runner.invoke(cli, ["clients", "create", "--name", "FixMyStreet", "--jurisdiction", "990019", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["name"] == "FixMyStreet" and created["api_key"].startswith("mk_")
    assert db.session.scalar(select(ApiClient.key_hash)) != created["api_key"]
    assert post_request(client, created["api_key"]).status_code == 201


def test_clients_create_refuses_an_unknown_jurisdiction(runner) -> None:
    result = runner.invoke(cli, ["clients", "create", "--name", "X", "--jurisdiction", "131016", "--json"])
    assert result.exit_code != 0 and "131016" in result.output


def test_admins_create_list_and_revoke_client_keys(client) -> None:
    admin_key = create_staff(db.session, name="管理者", role="admin", jurisdiction_code="990019", department_code=None)[1]
    headers = {"Authorization": f"Bearer {admin_key}"}
    created = client.post(ADMIN, json={"name": "FixMyStreet"}, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert post_request(client, body["api_key"]).status_code == 201
    listed = client.get(ADMIN, headers=headers).get_json()
    assert [(c["name"], c["jurisdiction"], "api_key" in c) for c in listed] == [("FixMyStreet", "990019", False)]
    assert client.delete(f"{ADMIN}/{body['id']}", headers=headers).status_code == 204
    assert_open311_error(post_request(client, body["api_key"]), 403)
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["client.create", "client.revoke"]


def test_only_admins_manage_client_keys(client) -> None:
    staff_key = create_staff(db.session, name="職員", role="staff", jurisdiction_code="990019", department_code="road")[1]
    response = client.post(ADMIN, json={"name": "X"}, headers={"Authorization": f"Bearer {staff_key}"})
    assert response.status_code == 403 and response.content_type == "application/problem+json"
