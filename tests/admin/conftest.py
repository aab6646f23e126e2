"""The staff keys of every role and reports, shared with the staff API tests."""

from tests.staff.conftest import keys, parks_report, road_report  # noqa: F401
