"""The console's tests: staff of every role with reports, signed in through the real sign-in form.

- ``signed_in_client(name)``: a test client signed in as the keys fixture's
  member ``name`` ("staff road", "viewer road", "admin", ...), one per name.
- ``sign_in_page(page, name)``: the same for a browser page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.commands.common import Operator
from service.domain import signin
from service.extensions import db
from service.models import Staff
from tests.staff import conftest as staff_fixtures
from tests.web.conftest import PASSWORD, current_code, sign_in_through_form

keys, road_report, parks_report = staff_fixtures.keys, staff_fixtures.road_report, staff_fixtures.parks_report
submit = staff_fixtures.submit
# Wednesday 18 June 2025, 10:00 in Tokyo; its day ends at 15:00 UTC.
WEDNESDAY = datetime(2025, 6, 18, 1, 0, tzinfo=UTC)
TONIGHT = datetime(2025, 6, 18, 15, 0, tzinfo=UTC)


def member(name: str) -> Staff:
    """The staff member the keys fixture named so (the demo city's comes first; its admin is "admin None")."""
    found = db.session.scalars(select(Staff).where(Staff.name == name).order_by(Staff.id)).first()
    assert found is not None, name
    return found


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def _credentials(app: Flask, name: str) -> tuple[str, str | None]:
    """Give the member a login and password (and a second factor where the role needs one): (login, TOTP secret)."""
    staff = member(name)
    login = f"member-{staff.id}"
    uri = signin.set_credentials(db.session, Operator(jurisdiction_id=staff.jurisdiction_id), staff, login=login,
                                 password=PASSWORD, new_totp=staff.role in signin.TOTP_ROLES,
                                 policy=signin.policy_from(app.config))
    db.session.commit()
    return login, parse_qs(urlsplit(uri).query)["secret"][0] if uri else None


@pytest.fixture()
def wednesday(fixed_clock):
    """The app's clock at Wednesday 18 June 2025, 10:00 in Tokyo; ask for it before the reports so they are made then."""
    fixed_clock.instant = WEDNESDAY
    return fixed_clock


@pytest.fixture()
def signed_in_client(app: Flask, keys) -> Callable[[str], FlaskClient]:
    made: dict[str, FlaskClient] = {}

    def client_for(name: str) -> FlaskClient:
        if name not in made:
            login, secret = _credentials(app, name)
            client = app.test_client()
            token = csrf_token(client.get("/staff/login").get_data(as_text=True))
            client.post("/staff/login", data={"csrf_token": token, "login": login, "password": PASSWORD})
            if secret is not None:
                token = csrf_token(client.get("/staff/login/code").get_data(as_text=True))
                client.post("/staff/login/code", data={"csrf_token": token, "code": current_code(app, secret)})
            assert client.get("/staff/reports").status_code == 200, f"{name} is not signed in"
            made[name] = client
        return made[name]

    return client_for


@pytest.fixture()
def sign_in_page(app: Flask, live_server: str, keys) -> Callable[..., None]:
    def sign_in(page, name: str) -> None:
        login, secret = _credentials(app, name)
        sign_in_through_form(page, live_server, login, app=app, secret=secret)
        assert "/staff/login" not in page.url, f"sign-in of {name} failed: {page.url}"

    return sign_in
