"""Staff keys of every role and reports with reporter contact, shared with the staff API tests."""

from tests.staff.conftest import keys, parks_report, road_report  # noqa: F401
