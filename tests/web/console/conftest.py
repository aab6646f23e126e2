"""The console's tests: staff of every role with reports, and a browser or test client signed in as one of them.

Until sign-in (service/web/signin.py) is merged here, ``as_member`` stands in
for it: a request carrying ``X-Test-Staff: <id>`` gets that staff row on
``g.staff``, which is all a console view reads of sign-in. The stand-in is
added to the app for one test and removed after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask, g, request
from sqlalchemy import select
from werkzeug.routing import Rule

from service.extensions import db
from service.models import Staff
from tests.staff import conftest as staff_fixtures

keys, road_report, parks_report = staff_fixtures.keys, staff_fixtures.road_report, staff_fixtures.parks_report
submit = staff_fixtures.submit
HEADER = "X-Test-Staff"
# Wednesday 18 June 2025, 10:00 in Tokyo; its day ends at 15:00 UTC.
WEDNESDAY = datetime(2025, 6, 18, 1, 0, tzinfo=UTC)
TONIGHT = datetime(2025, 6, 18, 15, 0, tzinfo=UTC)


def member(name: str) -> Staff:
    """The staff member the keys fixture named so (the demo city's comes first)."""
    found = db.session.scalars(select(Staff).where(Staff.name == name).order_by(Staff.id)).first()
    assert found is not None, name
    return found


# The staff layout links sign-in's own pages; until sign-in is merged, their
# addresses are only built, never served.
SIGN_IN_PAGES = {"staff_web.logout": "/staff/logout", "staff_web.account": "/staff/account"}


@pytest.fixture()
def as_member(app: Flask) -> Iterator[None]:
    for endpoint, path in SIGN_IN_PAGES.items():
        if endpoint not in app.view_functions and endpoint not in {r.endpoint for r in app.url_map.iter_rules()}:
            app.url_map.add(Rule(path, endpoint=endpoint))

    def put_on_g() -> None:
        wanted = request.headers.get(HEADER)
        if wanted:
            g.staff = db.session.get(Staff, int(wanted))

    handlers = app.before_request_funcs.setdefault(None, [])
    handlers.insert(0, put_on_g)
    yield
    handlers.remove(put_on_g)


@pytest.fixture()
def wednesday(fixed_clock):
    """The app's clock at Wednesday 18 June 2025, 10:00 in Tokyo; ask for it before the reports so they are made then."""
    fixed_clock.instant = WEDNESDAY
    return fixed_clock


def headers_for(name: str) -> dict[str, str]:
    return {HEADER: str(member(name).id)}


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)
