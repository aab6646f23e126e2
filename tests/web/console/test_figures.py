"""The figures page: the API's numbers in a table, this period beside the last, the API's CSV, the same scope."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

import pytest

from service.timefmt import TOKYO
from service.web.console.figures import COLUMNS, figure_text
from tests.stats.test_figures import make_reports

API = "/api/v1/staff/stats"


@pytest.fixture()
def figures_data(app, keys, fixed_clock):
    now = fixed_clock()
    make_reports(now, count=160)
    today = now.astimezone(TOKYO).date()
    return {"from": (today - timedelta(days=180)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}


def table(html: str) -> dict[str, dict[str, str]]:
    """Row heading → figure → the shown value of this period, as the page's table has them."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        heading = unescape(re.search(r'<th scope="row">(.*?)</th>', row, re.S).group(1))
        cells = re.findall(r'<td data-figure="([a-z_0-9]+)"><span class="this">(.*?)</span>', row, re.S)
        rows[heading] = {name: unescape(value) for name, value in cells}
    return rows


def api(client, key: str, **query) -> dict:
    response = client.get(API, query_string=query, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("group_by", ["department", "category", "ward", "month", ""])
def test_the_table_shows_the_apis_numbers(client, keys, signed_in_client, figures_data, group_by):
    query = {**figures_data, "group_by": group_by}
    response = signed_in_client("admin None").get("/staff/figures", query_string=query)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>集計" in html
    shown = table(html)
    answer = api(client, keys.admin, **query)["groups"]
    assert len(shown) == len(answer) > 0
    for row in answer:
        label = " / ".join(str(row.get(f"{g}_name") or row.get(g) or "（なし）") for g in [group_by] if g) or "全体"
        assert shown[label] == {name: figure_text(name, row[name]) for name, _ in COLUMNS}, label


def test_the_last_period_stands_beside_this_one(client, keys, signed_in_client, figures_data):
    html = signed_in_client("admin None").get("/staff/figures", query_string={**figures_data, "group_by": ""}).get_data(as_text=True)
    last_from = re.search(r'id="period-last">(\S+) 〜 (\S+)</span>', html)
    assert last_from, "the page names the last period"
    first, shown_last = last_from.groups()
    last = api(client, keys.admin, group_by="", **{"from": first, "to": figures_data["from"]})["groups"][0]
    assert shown_last < figures_data["from"]
    assert f'<span class="last">前期 {last["received"]}</span>' in html
    # Charts carry this period's months and the last period's values beside them.
    charts = [json.loads(unescape(found)) for found in re.findall(r'data-chart="([^"]+)"', html)]
    assert len(charts) == 4 and all(len(c["this"]) == len(c["last"]) == len(c["months"]) for c in charts)
    received = api(client, keys.admin, group_by="month", **figures_data)["groups"]
    assert sum(charts[0]["this"]) == sum(row["received"] for row in received)
    assert charts[1]["target"] == 0.9 and charts[3]["target"] == 4.0


def test_the_csv_is_the_apis(client, keys, signed_in_client, figures_data):
    query = {**figures_data, "group_by": "category"}
    page_csv = signed_in_client("admin None").get("/staff/figures.csv", query_string=query)
    api_csv = client.get(API, query_string={**query, "format": "csv"}, headers={"Authorization": f"Bearer {keys.admin}"})
    assert page_csv.status_code == 200 and page_csv.mimetype == "text/csv"
    assert page_csv.get_data() == api_csv.get_data() and page_csv.get_data().count(b"\n") > 3


def test_department_staff_see_their_departments_figures_only(client, keys, signed_in_client, figures_data):
    query = {**figures_data, "group_by": "department"}
    shown = table(signed_in_client("staff road").get("/staff/figures", query_string=query).get_data(as_text=True))
    answer = api(client, keys.road_staff, **query)["groups"]
    assert list(shown) == [row["department_name"] for row in answer] == ["道路課"]


def test_bad_periods_and_groups_are_a_400_naming_the_field(client, keys, signed_in_client):
    member = signed_in_client("admin None")
    for query, field in (({"group_by": "planet"}, "group_by"), ({"from": "2025-06-10", "to": "2025-06-01"}, "to"),
                         ({"from": "yesterday"}, "from")):
        response = member.get("/staff/figures", query_string=query)
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and "集計の条件が正しくありません。" in html and f"<li>{field}:" in html, query
        assert member.get("/staff/figures.csv", query_string=query).status_code == 400
