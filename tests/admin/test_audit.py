"""The audit log: every admin write, newest first, paged, in Tokyo time."""

from __future__ import annotations

from tests.admin.helpers import call


def test_the_audit_log_lists_the_writes_newest_first(client, keys):
    call(client, keys, "POST", "/departments", {"code": "bridges", "name_ja": "橋梁課", "name_en": "Bridges"})
    call(client, keys, "PATCH", "/departments/bridges", {"name_en": "Bridge Maintenance"})
    call(client, keys, "DELETE", "/departments/bridges")
    response = call(client, keys, "GET", "/audit")
    assert response.status_code == 200
    body = response.get_json()
    assert [e["action"] for e in body["items"]] == ["department.delete", "department.update", "department.create"]
    newest = body["items"][0]
    assert newest["who"]["role"] == "admin"
    assert newest["target"] == {"type": "department", "id": "bridges"}
    assert newest["before"]["name_en"] == "Bridge Maintenance" and newest["after"] is None
    assert newest["at"].endswith("+09:00")
    assert body["total"] == 3


def test_the_audit_log_is_paged(client, keys):
    for n in range(3):
        call(client, keys, "PATCH", "/categories/graffiti", {"resolution_days": 10 + n})
    first = call(client, keys, "GET", "/audit?page=1&page_size=2").get_json()
    second = call(client, keys, "GET", "/audit?page=2&page_size=2").get_json()
    assert [e["after"]["resolution_days"] for e in first["items"] + second["items"]] == [12, 11, 10]
    assert first["links"]["next"] is not None and second["links"]["next"] is None
    assert call(client, keys, "GET", "/audit?page_size=0").status_code == 422
