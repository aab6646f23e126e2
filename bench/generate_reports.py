"""Fill a PostgreSQL database with realistic reports of the demo city, fast (COPY).

Run from the repository root, against a database that has been migrated and
seeded with the demo jurisdiction first:

    DATABASE_URL=postgresql://postgres@127.0.0.1/machikoe_bench_list machikoe db upgrade
    DATABASE_URL=postgresql://postgres@127.0.0.1/machikoe_bench_list machikoe seed-demo
    python bench/generate_reports.py --count 1000000 \\
        --database postgresql://postgres@127.0.0.1/machikoe_bench_list [--seed 1]

The reports are added to those already there (ids continue after the largest
one). The same seed and count against the same seeded database give the same
rows, apart from ids when the database held reports already. About 1,000,000
reports take a few minutes on two cores.

Distributions (what statistics computed from the data will find):

- Time: ``created_at`` over the two years before the run, with 1.6 times as
  many reports per day at the end as at the start (linear growth), weekdays
  1.25 times as busy as weekend days, and times of day between 06:00 and 23:00
  Tokyo time, most around 08:00-12:00 and 17:00-20:00.
- Category (share of reports): road_damage 24 %, illegal_dumping 17 %,
  streetlight 14 %, sewer_drain 10 %, other 10 %, park_equipment 9 %,
  graffiti 8 %, traffic_sign 8 %.
- Place: uniform over the city's box (lat 35.62-35.68, lon 139.76-139.84) and
  the northern triangle of its boundary; ward by the demo ward polygons;
  ``geohash`` of precision 7; address 「みなと市<ward>」.
- Department: by the demo routing rules as the worker applies them (the park
  sends any category to 公園緑地課, each category to its division, ``other``
  to the fallback 広聴課), with the matching rule and reason recorded. 1.5 %
  of reports were then re-routed by staff to another division (history entry
  ``assigned``), so department and category disagree for those.
- Lifecycle, drawn for every report and cut at the present moment (so the
  newest reports are still open, as in a real backlog):
  first response (``acknowledged``) after a log-normal delay, median 20 hours
  (σ 1.0); the outcome is ``resolved`` 80 %, ``duplicate`` 6 % (of an earlier
  report of the same category), ``not_actionable`` 7 %, ``forwarded`` 5 %,
  and 2 % are never finished (they stay acknowledged or in progress, an old
  backlog). 70 % of resolved reports pass through ``in_progress``. Time to
  resolution is log-normal with median 0.6 × the category's resolution target
  in days (σ 0.8), so a share of them miss their SLA; side exits come a
  log-normal 1-3 days after the first response.
- ``first_response_at`` is the time of the first transition,
  ``resolved_at`` of the latest move to resolved (kept when reopened, as the
  workflow does), ``closed_at`` of the move into a closed status and empty
  while open, ``updated_at`` the latest change; due dates are the category's
  targets in business days (Japanese holidays and the year-end break
  excluded), as intake computes them.
- Ratings: 35 % of resolved reports are rated 0.5-10 days after resolution;
  scores 5: 34 %, 4: 30 %, 3: 18 %, 2: 10 %, 1: 8 %; ``fixed`` is false for
  about 40 % of scores 1-2 and 5 % of score 3 (about 8 % of ratings). A "not
  fixed" rating reopens the report (history ``resolved -> in_progress`` by the
  resident) and it is resolved again after a second log-normal delay, if
  that falls before now. 3 % of the other rated reports were rated twice; the
  older rating has ``current`` false.
- Kept on the report as the workflow and the ratings keep them:
  ``reopen_count`` (resolved -> in_progress moves), ``rating_requested_at``
  (the first resolution, when the workflow asks for a rating; the outbox
  event itself is not written), ``rating_score`` and ``rating_fixed`` of the
  current rating.
- History: ``created`` (resident), ``routed`` (system), one ``transition``
  entry per status change (staff, half of them with a public reply), the
  ``assigned`` entry of a re-route, the reopen by the resident.
- Processing: every report is ``done``, processed 0.2-3 s after creation.
  85 % have one ready photo (keys only; no files are written). 40 % carry a
  reporter e-mail. No outbox events are written.

With ``--count 1000000 --seed 1`` the database holds 1,000,000 reports:
resolved 786k, not_actionable 70k, duplicate 60k, forwarded 50k, and open
34k (acknowledged 17k, in_progress 16k, received 1k); about 850k photos,
4.5 million history entries and 281k ratings (273k current). 13 % of the
resolved reports were resolved after their due time and 8 % of first
responses came late; 22k reports (2.8 % of resolved ones) were reopened. The
road division has 369k reports, 12k of them open. It takes about 8 minutes on
two busy cores (2 minutes of it in Python) and 2.2 GB on disk.

Exits with status 1 and a message when the database has no demo jurisdiction.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely
from shapely.geometry import shape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.domain.business_days import TOKYO, due_at
from service.domain.feedback import NOT_FIXED_REASON
from service.domain.routing import RuleView, choose_department
from service.geo.grid import geohash_encode

DEMO_CODE = "990019"
YEARS = 2
CHUNK = 50_000
LAT_RANGE, LON_RANGE = (35.62, 35.69), (139.76, 139.84)

CATEGORY_SHARES = {
    "road_damage": 0.24, "illegal_dumping": 0.17, "streetlight": 0.14, "sewer_drain": 0.10, "other": 0.10,
    "park_equipment": 0.09, "graffiti": 0.08, "traffic_sign": 0.08,
}
DESCRIPTIONS = {
    "road_damage": ("歩道に大きな穴があります", "車道のアスファルトがひび割れています", "マンホールの周りが陥没しています"),
    "illegal_dumping": ("粗大ごみが置かれたままです", "空き地に家電が捨てられています", "ごみ袋が何日も放置されています"),
    "streetlight": ("街灯が夜になっても点きません", "防犯灯が点滅しています", "街灯の柱が傾いています"),
    "sewer_drain": ("側溝のふたが外れています", "雨のあと排水が流れません", "下水の悪臭がします"),
    "other": ("歩道に自転車が放置されています", "案内板が読めなくなっています", "公衆トイレが故障しています"),
    "park_equipment": ("ブランコの鎖が切れています", "ベンチが壊れています", "すべり台にひびがあります"),
    "graffiti": ("壁に落書きがあります", "橋の下に落書きが増えています", "公園のトイレに落書きがあります"),
    "traffic_sign": ("カーブミラーの向きがずれています", "止まれの標識が見えにくいです", "標識が倒れています"),
}
REPLIES = {
    "acknowledged": "ご連絡ありがとうございます。内容を確認しました。",
    "in_progress": "現地を確認し、対応を始めました。",
    "resolved": "対応が完了しました。ご協力ありがとうございました。",
    "not_actionable": "確認しましたが、市で対応できる案件ではありませんでした。",
    "forwarded": "管理者である関係機関へ連絡しました。",
    "duplicate": "同じ場所の通報として、先の通報で対応します。",
}
SIDE_EXITS = {"not_actionable": "市の管理外の私有地です", "forwarded": "国道のため国道事務所へ連絡"}
SCORES, SCORE_SHARES = (5, 4, 3, 2, 1), (0.34, 0.30, 0.18, 0.10, 0.08)
COMMENTS = ("早い対応ありがとうございました", "きれいになりました", "もう少し早いと助かります", "まだ直っていません", None)


@dataclass
class City:
    """What the generator needs to know about the seeded demo city."""

    jurisdiction_id: int
    boundary: Any
    wards: list[tuple[str, Any]]
    park_id: int
    park: Any
    departments: dict[str, int]
    categories: dict[str, tuple[int, int, int]]  # code -> (id, first response days, resolution days)
    rules: list[RuleView]
    year_end_break: bool = True
    due: dict[tuple[date, int], datetime] = field(default_factory=dict)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="reports to add")
    parser.add_argument("--database", required=True, help="PostgreSQL URL of a migrated, demo-seeded database")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    return parser.parse_args()


def load_city(connection: psycopg.Connection) -> City:
    """Raises SystemExit when the demo jurisdiction is missing."""
    row = connection.execute("SELECT id, boundary FROM jurisdiction WHERE code = %s", (DEMO_CODE,)).fetchone()
    if row is None:
        raise SystemExit(f"no jurisdiction {DEMO_CODE}: run `machikoe db upgrade` and `machikoe seed-demo` first")
    jurisdiction_id, boundary = row
    areas = connection.execute("SELECT id, layer, code, name_ja, geometry FROM area WHERE jurisdiction_id = %s",
                               (jurisdiction_id,)).fetchall()
    wards = [(name, shape(_json(geometry))) for _, layer, _, name, geometry in areas if layer == "ward"]
    park_id, park = next((i, shape(_json(g))) for i, layer, _, _, g in areas if layer == "park")
    departments: dict[str, int] = dict(connection.execute("SELECT code, id FROM department WHERE jurisdiction_id = %s",
                                                          (jurisdiction_id,)).fetchall())
    categories = {code: (cid, first, resolution) for cid, code, first, resolution in connection.execute(
        "SELECT id, code, first_response_days, resolution_days FROM category WHERE jurisdiction_id = %s",
        (jurisdiction_id,))}
    rules = [RuleView(id=i, priority=p, category_code=c, area_id=a, department_id=d) for i, p, c, a, d in connection.execute(
        "SELECT r.id, r.priority, c.code, r.area_id, r.department_id FROM routing_rule r"
        " LEFT JOIN category c ON c.id = r.category_id WHERE r.jurisdiction_id = %s", (jurisdiction_id,))]
    return City(jurisdiction_id, shape(_json(boundary)), wards, park_id, park, departments, categories, rules)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class Generator:
    """Draws reports chunk by chunk and writes them, their photos, history and ratings with COPY."""

    def __init__(self, city: City, seed: int, count: int, first_id: int, now: datetime) -> None:
        self.city = city
        self.rng = np.random.default_rng(seed)
        self.count = count
        self.next_id = first_id
        self.now = now
        self.start = now - timedelta(days=365 * YEARS)
        self.codes = list(CATEGORY_SHARES)
        self.recent_by_category: dict[str, list[int]] = {code: [] for code in self.codes}
        fallback = city.departments.get("public_hearing") or min(city.departments.values())
        self.decisions = {(code, in_park): choose_department(city.rules, category_code=code,
                                                             area_ids={city.park_id} if in_park else set(),
                                                             fallback_department_id=fallback)
                          for code in self.codes for in_park in (False, True)}
        self.created_times = self._creation_times()

    def _creation_times(self) -> np.ndarray:
        """Sorted creation times (seconds since the start) with growth, weekday and time-of-day patterns."""
        days = 365 * YEARS + 1
        day_weights = np.linspace(1.0, 1.6, days)
        weekdays = np.array([(self.start + timedelta(days=d)).astimezone(TOKYO).weekday() for d in range(days)])
        day_weights = day_weights * np.where(weekdays < 5, 1.25, 1.0)
        chosen_days = self.rng.choice(days, size=self.count, p=day_weights / day_weights.sum())
        hour_weights = np.array([0, 0, 0, 0, 0, 0, 2, 5, 9, 9, 8, 8, 7, 6, 6, 6, 7, 8, 8, 7, 5, 4, 2, 1], dtype=float)
        hours = self.rng.choice(24, size=self.count, p=hour_weights / hour_weights.sum())
        # Day boundaries are Tokyo midnights; the start is shifted to one.
        tokyo_start = self.start.astimezone(TOKYO).replace(hour=0, minute=0, second=0, microsecond=0)
        self.epoch = tokyo_start
        seconds = chosen_days * 86400.0 + hours * 3600.0 + self.rng.uniform(0, 3600, self.count)
        latest = (self.now - tokyo_start).total_seconds() - 60
        # Times later today than now are drawn again from the earlier ones.
        future = seconds > latest
        seconds[future] = self.rng.choice(seconds[~future], size=int(future.sum()))
        return np.sort(seconds)

    def due(self, created: datetime, business_days: int) -> datetime:
        key = (created.astimezone(TOKYO).date(), business_days)
        value = self.city.due.get(key)
        if value is None:
            value = self.city.due[key] = due_at(created, business_days, year_end_break=self.city.year_end_break)
        return value

    def positions(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        lats, lons = np.empty(0), np.empty(0)
        while len(lats) < n:
            lat = self.rng.uniform(*LAT_RANGE, size=n * 2)
            lon = self.rng.uniform(*LON_RANGE, size=n * 2)
            inside = shapely.contains_xy(self.city.boundary, lon, lat)
            lats, lons = np.concatenate([lats, lat[inside]]), np.concatenate([lons, lon[inside]])
        return lats[:n], lons[:n]

    def chunk(self, offset: int, n: int) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
        rng, city = self.rng, self.city
        lats, lons = self.positions(n)
        in_park = shapely.contains_xy(city.park, lons, lats)
        ward_index = np.full(n, -1)
        for index, (_, polygon) in enumerate(city.wards):
            ward_index[(ward_index < 0) & shapely.contains_xy(polygon, lons, lats)] = index
        categories = rng.choice(len(self.codes), size=n, p=list(CATEGORY_SHARES.values()))
        reports: list[tuple] = []
        photos: list[tuple] = []
        history: list[tuple] = []
        ratings: list[tuple] = []
        for i in range(n):
            report_id = self.next_id
            self.next_id += 1
            code = self.codes[categories[i]]
            created = self.epoch + timedelta(seconds=float(self.created_times[offset + i]))
            ward = city.wards[ward_index[i]][0] if ward_index[i] >= 0 else None
            decision = self.decisions[(code, bool(in_park[i]))]
            row = self.report(report_id, code, created, float(lats[i]), float(lons[i]), ward, decision, history, ratings)
            reports.append(row)
            if rng.random() < 0.85:
                photo_id = _public_id(rng)
                photos.append((report_id, photo_id, 0, rng.bytes(32).hex(), "image/jpeg", int(rng.integers(800_000, 4_000_000)),
                               4032, 3024, f"originals/{rng.bytes(32).hex()}.jpg", "ready", False,
                               f"derivatives/{photo_id}/large.jpg", "image/jpeg", f"derivatives/{photo_id}/thumb.jpg",
                               f"derivatives/{photo_id}/large.jpg", f"derivatives/{photo_id}/thumb.jpg", 0, created))
            recent = self.recent_by_category[code]
            recent.append(report_id)
            if len(recent) > 500:
                del recent[:250]
        return reports, photos, history, ratings

    def report(self, report_id: int, code: str, created: datetime, lat: float, lon: float, ward: str | None,
               decision: Any, history: list[tuple], ratings: list[tuple]) -> tuple:
        rng, city, now = self.rng, self.city, self.now
        category_id, first_days, resolution_days = city.categories[code]
        department_id = decision.department_id
        processed = created + timedelta(seconds=float(rng.uniform(0.2, 3.0)))
        history.append((report_id, created, "created", "resident", None, "received", None, None, "{}"))
        history.append((report_id, processed, "routed", "system", None, None, None, None,
                        json.dumps({"department_id": department_id, "rule_id": decision.rule_id, "reason": decision.reason})))
        status, first_response, resolved, closed, updated, version = "received", None, None, None, processed, 1
        duplicate_of, rating_requested, reopens, first_rating = None, None, 0, len(ratings)

        def move(to: str, at: datetime, *, actor: str = "staff", reason: str | None = None) -> None:
            nonlocal status, first_response, resolved, closed, updated, version, rating_requested, reopens
            reply = REPLIES[to] if actor == "staff" and rng.random() < 0.5 else None
            history.append((report_id, at, "transition", actor, status, to, reply, reason, "{}"))
            if first_response is None:
                first_response = at
            if to == "resolved":
                resolved = at
                rating_requested = rating_requested or at
            if status == "resolved" and to == "in_progress":
                reopens += 1
            closed = at if to in ("resolved", "not_actionable", "forwarded", "duplicate") else None
            status, updated, version = to, at, version + 1

        if rng.random() < 0.015:
            others = [d for c, d in city.departments.items() if d != department_id and c != "public_hearing"]
            moved_at = processed + timedelta(hours=float(rng.uniform(1, 30)))
            if moved_at < now:
                new_department = others[int(rng.integers(len(others)))]
                history.append((report_id, moved_at, "assigned", "staff", None, None, None, "担当課の変更",
                                json.dumps({"from": department_id, "to": new_department})))
                department_id, updated, version = new_department, moved_at, version + 1

        at = updated + timedelta(hours=float(rng.lognormal(math.log(20), 1.0)))
        outcome = rng.choice(("resolved", "duplicate", "not_actionable", "forwarded", "stuck"), p=(0.80, 0.06, 0.07, 0.05, 0.02))
        if at < now:
            recent = self.recent_by_category[code]
            if outcome == "duplicate" and recent:
                duplicate_of = recent[int(rng.integers(len(recent)))]
                move("duplicate", at)
            else:
                move("acknowledged", at)
                if outcome == "duplicate":
                    outcome = "resolved"
                if outcome in SIDE_EXITS:
                    at += timedelta(days=float(rng.lognormal(math.log(1.7), 0.4)))
                    if at < now:
                        move(outcome, at, reason=SIDE_EXITS[outcome])
                elif outcome == "stuck":
                    if rng.random() < 0.5:
                        move("in_progress", at + timedelta(days=float(rng.uniform(1, 5))))
                else:
                    reopened = self.resolve(move, at, created, resolution_days, report_id, ratings)
                    if reopened is not None:
                        move("in_progress", reopened, actor="resident", reason=NOT_FIXED_REASON)
                        again = reopened + timedelta(days=float(rng.lognormal(math.log(4), 0.7)))
                        if again < now:
                            move("resolved", again)
        current = [row for row in ratings[first_rating:] if row[4]]
        score, fixed = (current[-1][1], current[-1][2]) if current else (None, None)
        return (report_id, _public_id(rng), city.jurisdiction_id, category_id, department_id, decision.rule_id,
                decision.reason, DESCRIPTIONS[code][int(rng.integers(3))], lat, lon, float(rng.uniform(3, 30)), "device",
                f"みなと市{ward or ''}", json.dumps({"ward": ward} if ward else {}, ensure_ascii=False), False, "{}",
                geohash_encode(lat, lon, 7), status, version, duplicate_of, ward, 0, False,
                f"resident{report_id}@example.jp" if rng.random() < 0.4 else None, rng.bytes(32).hex(),
                f"bench-{report_id}", "done", 1, created, processed,
                json.dumps({step: processed.isoformat() for step in ("photos", "address", "routing", "duplicates", "events")}),
                created, updated, first_response, resolved, closed,
                self.due(created, first_days), self.due(created, resolution_days), "app", reopens, rating_requested,
                score, fixed)

    def resolve(self, move: Any, acknowledged: datetime, created: datetime, resolution_days: int, report_id: int,
                ratings: list[tuple]) -> datetime | None:
        """Work the report to resolved and maybe rate it; the time of a "not fixed" rating, which reopens it."""
        rng, now = self.rng, self.now
        done = created + timedelta(days=float(rng.lognormal(math.log(0.6 * resolution_days), 0.8)))
        done = max(done, acknowledged + timedelta(hours=1))
        if rng.random() < 0.7:
            working = acknowledged + (done - acknowledged) * float(rng.uniform(0.1, 0.6))
            if working >= now:
                return None
            move("in_progress", working)
        if done >= now:
            return None
        move("resolved", done)
        if rng.random() >= 0.35:
            return None
        rated = done + timedelta(days=float(rng.uniform(0.5, 10)))
        if rated >= now:
            return None
        score = int(rng.choice(SCORES, p=SCORE_SHARES))
        fixed = not ((score <= 2 and rng.random() < 0.4) or (score == 3 and rng.random() < 0.05))
        comment = COMMENTS[int(rng.integers(len(COMMENTS)))] if fixed else "まだ直っていません"
        if fixed and rng.random() < 0.03:
            earlier = rated - timedelta(hours=float(rng.uniform(1, 48)))
            ratings.append((report_id, int(rng.choice(SCORES, p=SCORE_SHARES)), True, None, False, max(earlier, done)))
        ratings.append((report_id, score, fixed, comment, True, rated))
        return None if fixed else rated


def _public_id(rng: np.random.Generator) -> str:
    return base64.b32encode(rng.bytes(10)).decode("ascii").lower()


REPORT_COLUMNS = (
    "id", "public_id", "jurisdiction_id", "category_id", "department_id", "routing_rule_id", "routing_reason",
    "description", "lat", "lon", "accuracy_m", "location_source", "address", "address_parts", "address_approximate",
    "attributes", "geohash", "status", "version", "duplicate_of_id", "ward", "priority", "hidden", "reporter_email",
    "tracking_token_hash", "idempotency_key", "processing_state", "processing_attempts", "processing_started_at",
    "processed_at", "processing_steps", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at",
    "first_response_due_at", "resolution_due_at", "source", "reopen_count", "rating_requested_at", "rating_score",
    "rating_fixed",
)
PHOTO_COLUMNS = ("report_id", "public_id", "position", "content_hash", "content_type", "byte_size", "width", "height",
                 "original_key", "state", "hidden", "large_key", "large_content_type", "thumb_key", "public_large_key",
                 "public_thumb_key", "regions_version", "created_at")
HISTORY_COLUMNS = ("report_id", "created_at", "kind", "actor_type", "from_status", "to_status", "public_reply", "reason",
                   "details")
RATING_COLUMNS = ("report_id", "score", "fixed", "comment", "current", "created_at")


def copy_rows(connection: psycopg.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with connection.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def generate(database_url: str, count: int, seed: int) -> dict[str, int]:
    """Add ``count`` reports (with their photos, history and ratings) to the database; rows added per table.

    Progress is printed after every chunk. Raises SystemExit when the demo
    jurisdiction is missing.
    """
    started = time.monotonic()
    with psycopg.connect(database_url) as connection:
        city = load_city(connection)
        first = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM report").fetchone()
        assert first is not None  # an aggregate answers one row
        first_id = first[0]
        connection.execute("SET synchronous_commit = off")
        generator = Generator(city, seed, count, first_id, datetime.now(UTC).replace(microsecond=0))
        totals = {"report": 0, "photo": 0, "history_entry": 0, "rating": 0}
        for offset in range(0, count, CHUNK):
            reports, photos, history, ratings = generator.chunk(offset, min(CHUNK, count - offset))
            copy_rows(connection, "report", REPORT_COLUMNS, reports)
            copy_rows(connection, "photo", PHOTO_COLUMNS, photos)
            copy_rows(connection, "history_entry", HISTORY_COLUMNS, history)
            copy_rows(connection, "rating", RATING_COLUMNS, ratings)
            connection.commit()
            for table, rows in zip(totals, (reports, photos, history, ratings)):
                totals[table] += len(rows)
            print(f"{offset + len(reports):>9} of {count:,} reports ({time.monotonic() - started:.0f} s)", flush=True)
        for table in totals:
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
        connection.autocommit = True
        # Vacuuming sets the visibility map, so counts can be answered from
        # indexes alone as on a database that has been running for a while.
        for table in totals:
            connection.execute(f"VACUUM (ANALYZE) {table}")
    print(", ".join(f"{table} +{rows:,}" for table, rows in totals.items()) + f" in {time.monotonic() - started:.0f} s",
          flush=True)
    return totals


def database_name(prefix: str, count: int) -> str:
    """The reusable database of a benchmark for ``count`` reports: ``machikoe_bench_console_1m`` for 1,000,000."""
    label = f"{count // 1_000_000}m" if count % 1_000_000 == 0 else f"{count // 1000}k" if count % 1000 == 0 else str(count)
    return f"{prefix}_{label}"


def filled_database(admin_url: str, name: str, count: int, seed: int, env: dict[str, str]) -> str:
    """The URL of database ``name`` holding at least ``count`` generated reports, made and filled only where needed.

    A missing database is created, every run migrates it (so indexes added
    since it was filled are built) and seeds the demo city when missing, and
    reports are generated only up to ``count``: the first run of a benchmark
    pays for the data, later runs reuse it. Raises RuntimeError when a step fails.
    """
    from bench.common import database_url_for, ensure_database, prepare_database, scalar

    ensure_database(admin_url, name)
    url = database_url_for(admin_url, name)
    started = time.monotonic()
    print(f"database {name}: migrating and seeding the demo city where needed", flush=True)
    prepare_database({**env, "DATABASE_URL": url})
    print(f"database {name}: up to date in {time.monotonic() - started:.0f} s", flush=True)
    with psycopg.connect(url) as connection:
        held = scalar(connection, "SELECT count(*) FROM report")
    if held < count:
        print(f"database {name}: {held:,} reports, generating {count - held:,} more (once; later runs reuse them)",
              flush=True)
        generate(url, count - held, seed)
    return url


def main() -> int:
    args = parse_arguments()
    generate(args.database, args.count, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
