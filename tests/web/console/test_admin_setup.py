"""The setup pages without a browser: what a form refuses and says beside the field, and the audit rows a change leaves."""

from __future__ import annotations

import re

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Department
from tests.web.console.conftest import csrf_token


def post(client, path: str, data: dict, *, page: str | None = None):
    token = csrf_token(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def audit_rows(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{name}-error">([^<]*)</p>', html)
    assert found, f"no error beside {name}"
    return found.group(1)


def test_department_created_with_two_names_is_audited(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/departments", {"code": "water", "name_ja": "水道課", "name_en": "Waterworks",
                                                         "email": "suido@example.jp", "active": "1"})
    assert response.status_code == 303
    page = client.get("/staff/admin/departments").get_data(as_text=True)
    assert "水道課" in page and "Waterworks" in page
    (row,) = audit_rows("department.create")
    assert row.target_id == "water" and row.after["name_en"] == "Waterworks" and row.after["email"] == "suido@example.jp"
    assert row.staff_id is not None


def test_department_form_shows_errors_beside_fields_and_writes_nothing(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/departments", {"code": "Water!", "name_ja": "", "name_en": "Waterworks",
                                                         "email": "not-an-address"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "英小文字" in field_error(html, "code")
    assert field_error(html, "name_ja") == "入力してください。"
    assert field_error(html, "email") == "メールアドレスの形式が正しくありません。"
    assert 'value="Waterworks"' in html
    assert db.session.scalar(select(Department).where(Department.code == "Water!")) is None
    assert audit_rows("department.create") == []


def test_department_code_taken_is_refused_beside_the_code(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/departments", {"code": "road", "name_ja": "道路課2", "name_en": "Roads 2"})
    assert response.status_code == 409
    assert field_error(response.get_data(as_text=True), "code") == "このコードの課はすでにあります。"


def test_department_edited_and_a_used_one_not_deleted(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/departments/road", {"name_ja": "道路管理課", "name_en": "Road Management",
                                                              "active": "1"})
    assert response.status_code == 303
    (row,) = audit_rows("department.update")
    assert row.before["name_ja"] == "道路課" and row.after["name_ja"] == "道路管理課"
    refused = post(client, "/staff/admin/departments/road/delete", {}, page="/staff/admin/departments/road")
    assert refused.status_code == 409
    assert "削除できません" in refused.get_data(as_text=True)
    assert audit_rows("department.delete") == []
