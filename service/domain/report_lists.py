"""Lists of reports: who sees which, the filters, the order, the counts and the export.

Every list of reports (the staff API, the staff console, the public API, the
Open311 requests) is read through these functions, so a filter means the same
thing everywhere and the HTTP layers only parse and render. Filters arrive
already checked (codes are strings, statuses known codes, times aware); what
is not known in the caller's jurisdiction simply matches nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, joinedload, lazyload, load_only

from service.domain import access
from service.domain.disclosure import public_range
from service.domain.sla import due_today_condition, overdue_condition
from service.domain.status import STATUSES
from service.models import Area, Assignment, Category, Department, DuplicateCandidate, Rating, Report, Staff

# The staff list's orders, by name; a leading "-" is newest (or highest) first.
SORT_COLUMNS = {"created": Report.created_at, "updated": Report.updated_at, "priority": Report.priority}
# "mine" and "none" are the assignee filter's words for the caller and for nobody.
MINE, NOBODY = "mine", "none"

# A list item shows a report's own columns with the codes (and names) of its
# category and department. Photos, history and the jurisdiction (with its
# boundary) are not shown there, so they are not loaded for each row.
ROW_OPTIONS = (
    load_only(Report.public_id, Report.created_at, Report.updated_at, Report.status, Report.priority, Report.ward,
              Report.address, Report.lat, Report.lon, Report.description,
              Report.first_response_at, Report.first_response_due_at, Report.resolution_due_at, Report.rating_score,
              Report.version),
    joinedload(Report.category).load_only(Category.code, Category.name_ja, Category.name_en),
    joinedload(Report.department).load_only(Department.code, Department.name_ja, Department.name_en),
    joinedload(Report.assignment),
    lazyload(Report.jurisdiction), lazyload(Report.photos), lazyload(Report.history),
)

# The export reads plain columns rather than report objects: building an
# object for each of hundreds of thousands of rows took most of the time of a
# department's export.
EXPORT_COLUMNS = (Report.public_id, Report.created_at, Report.updated_at, Report.status, Category.code, Department.code,
                  Report.priority, Report.ward, Report.address, Report.lat, Report.lon, Report.description)


@dataclass(frozen=True)
class StaffFilter:
    """What a staff member asks of the list; every field left empty matches everything."""

    statuses: Sequence[str] = ()
    category: str | None = None
    department: str | None = None
    ward: str | None = None
    # A staff id, or MINE / NOBODY.
    assignee: int | str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    text: str | None = None
    processing: str | None = None
    overdue: bool | None = None
    due_today: bool | None = None
    has_rating: bool | None = None


@dataclass(frozen=True)
class Page:
    rows: list[Report]
    total: int


class StatusCounts(dict[str, int]):
    """Reports per status; the statuses in ``estimated`` hold the database's estimate rather than an exact count."""

    def __init__(self, counts: Mapping[str, int], estimated: Iterable[str] = ()) -> None:
        super().__init__(counts)
        self.estimated = frozenset(estimated)

    def total(self, statuses: Sequence[str]) -> int:
        """The reports of ``statuses`` (of every status when empty)."""
        return sum(count for status, count in self.items() if not statuses or status in statuses)

    def is_estimated(self, statuses: Sequence[str]) -> bool:
        """Whether the total of ``statuses`` is an estimate."""
        return any(not statuses or status in statuses for status in self.estimated)


@dataclass(frozen=True)
class RowCounts:
    """Per report in a list: reports merged into it as duplicates, and candidates not yet judged."""

    duplicates: int = 0
    candidates: int = 0


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float


@dataclass(frozen=True)
class PublicFilter:
    """The public list: never hidden reports; the box is widened to the published precision."""

    statuses: Sequence[str] = ()
    category: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    jurisdiction_id: int | None = None
    ids: Sequence[str] = field(default_factory=tuple)
    categories: Sequence[str] = field(default_factory=tuple)
    created_from: datetime | None = None
    created_until: datetime | None = None


def staff_filter(args: Mapping[str, Any]) -> StaffFilter:
    """A filter from the staff list's query arguments, as StaffReportQuerySchema names them.

    ``status`` is a sequence of known codes and ``bbox`` a (min lon, min lat,
    max lon, max lat) tuple, already checked; ``assignee`` is "mine", "none"
    or a staff id in digits.
    """
    assignee = args.get("assignee")
    return StaffFilter(
        statuses=tuple(args.get("status") or ()), category=args.get("category"), department=args.get("department"),
        ward=args.get("ward"), assignee=assignee if assignee in (None, MINE, NOBODY) else int(assignee),
        created_from=args.get("created_from"), created_to=args.get("created_to"),
        updated_from=args.get("updated_from"), updated_to=args.get("updated_to"), bbox=args.get("bbox"),
        text=args.get("q"), processing=args.get("processing"), overdue=args.get("overdue"),
        due_today=args.get("due_today"), has_rating=args.get("has_rating"))


def scoped(staff: Staff) -> Select:
    """The reports a staff member may list: the jurisdiction's, and below admin only the department's."""
    query = select(Report).where(Report.jurisdiction_id == staff.jurisdiction_id)
    if access.department_scoped(staff):
        query = query.where(Report.department_id == staff.department_id)
    return query


def staff_query(staff: Staff, wanted: StaffFilter, now: datetime, *, with_statuses: bool = True) -> Select:
    """The scoped, filtered query (no order); ``with_statuses=False`` leaves the status filter out, for counts."""
    query = scoped(staff).where(*_staff_conditions(staff, wanted, now))
    if with_statuses and wanted.statuses:
        query = query.where(Report.status.in_(wanted.statuses))
    return query


def _staff_conditions(staff: Staff, f: StaffFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.category:
        conditions.append(Report.category_id.in_(select(Category.id).where(
            Category.code == f.category, Category.jurisdiction_id == staff.jurisdiction_id)))
    if f.department:
        conditions.append(Report.department_id.in_(select(Department.id).where(
            Department.code == f.department, Department.jurisdiction_id == staff.jurisdiction_id)))
    if f.ward:
        conditions.append(Report.ward == f.ward)
    if f.assignee == NOBODY:
        conditions.append(~select(Assignment.report_id).where(Assignment.report_id == Report.id).exists())
    elif f.assignee is not None:
        member = staff.id if f.assignee == MINE else f.assignee
        conditions.append(Report.id.in_(select(Assignment.report_id).where(Assignment.staff_id == member)))
    for value, column, lower in ((f.created_from, Report.created_at, True), (f.created_to, Report.created_at, False),
                                 (f.updated_from, Report.updated_at, True), (f.updated_to, Report.updated_at, False)):
        if value is not None:
            conditions.append(column >= value if lower else column < value)
    if f.bbox:
        conditions.extend(_in_box(f.bbox))
    if f.text:
        pattern = "%" + f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(Report.description.ilike(pattern, escape="\\"), Report.address.ilike(pattern, escape="\\")))
    if f.processing:
        conditions.append(Report.processing_state == f.processing)
    if f.overdue is not None:
        late = overdue_condition(now)
        conditions.append(late if f.overdue else ~late)
    if f.due_today is not None:
        today = due_today_condition(now)
        conditions.append(today if f.due_today else ~today)
    if f.has_rating is not None:
        rated = select(Rating.id).where(Rating.report_id == Report.id, Rating.current.is_(True)).exists()
        conditions.append(rated if f.has_rating else ~rated)
    return conditions


def _in_box(box: tuple[float, float, float, float]) -> list[ColumnElement[bool]]:
    min_lon, min_lat, max_lon, max_lat = box
    return [Report.lon.between(min_lon, max_lon), Report.lat.between(min_lat, max_lat)]


def ordered(query: Select, sort: str, near: Near | None = None) -> Select:
    """``query`` in the order ``sort`` names: a column of SORT_COLUMNS (``-`` for descending) or ``distance`` from ``near``.

    Raises ValueError for ``distance`` without a point and KeyError for an unknown column.
    """
    if sort == "distance":
        if near is None:
            raise ValueError("sorting by distance needs a point")
        scale = math.cos(math.radians(near.lat))
        distance = ((Report.lat - near.lat) * (Report.lat - near.lat)
                    + (Report.lon - near.lon) * (Report.lon - near.lon) * scale * scale)
        return query.order_by(distance, Report.id)
    column = SORT_COLUMNS[sort.lstrip("-")]
    if sort.startswith("-"):
        return query.order_by(column.desc(), Report.id.desc())
    return query.order_by(column.asc(), Report.id.asc())


def paged(session: Session, query: Select, *, page: int, page_size: int, options: Sequence[Any] = (),
          total: int | None = None) -> Page:
    """One page of an ordered query, with the total of the unpaged one (counted unless the caller knows it)."""
    if total is None:
        total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = session.scalars(query.options(*options).limit(page_size).offset((page - 1) * page_size)).all()
    return Page(rows=list(rows), total=total)


def staff_page(session: Session, staff: Staff, wanted: StaffFilter, now: datetime, *, sort: str, page: int,
               page_size: int, near: Near | None = None, total: int | None = None) -> Page:
    """A page of the staff list, rows loaded with the columns a list shows; ``total`` when the caller knows it."""
    query = ordered(staff_query(staff, wanted, now), sort, near)
    return paged(session, query, page=page, page_size=page_size, options=ROW_OPTIONS, total=total)


def status_counts(session: Session, staff: Staff, wanted: StaffFilter, now: datetime, *,
                  exact_up_to: int | None = None) -> StatusCounts:
    """How many reports of each status match the filter's other conditions (statuses with none are left out).

    The status filter itself is not applied, so a list narrowed to one status
    still shows how many wait in the others.

    With ``exact_up_to``, a status is counted exactly only as far as that
    many reports; beyond, on PostgreSQL, its count is the planner's estimate
    (named in ``estimated``, never below the exact part): counting every
    resolved report of a large department reads hundreds of thousands of
    index entries, while the open statuses a clerk works through stay exact.
    """
    query = staff_query(staff, wanted, now, with_statuses=False).order_by(None)
    if exact_up_to is None:
        counted = query.with_only_columns(Report.status, func.count()).group_by(Report.status)
        return StatusCounts({status: count for status, count in session.execute(counted)})
    # One statement: per status, a count that stops after exact_up_to + 1 reports.
    capped = union_all(*(
        select(literal(code).label("status"), func.count().label("n")).select_from(
            query.where(Report.status == code).with_only_columns(Report.id).limit(exact_up_to + 1).subquery())
        for code in STATUSES))
    counts = {code: n for code, n in session.execute(capped) if n}
    over = [code for code, n in counts.items() if n > exact_up_to]
    if not over or session.get_bind().dialect.name != "postgresql":
        if over:
            counts.update(status_counts(session, staff, wanted, now))
        return StatusCounts(counts)
    for code in over:
        counts[code] = max(counts[code], _estimated_rows(session, query.where(Report.status == code)
                                                         .with_only_columns(Report.id)))
    return StatusCounts(counts, estimated=over)


def _estimated_rows(session: Session, query: Select) -> int:
    """The rows PostgreSQL's planner expects ``query`` to return (EXPLAIN, nothing is read)."""
    compiled = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def row_counts(session: Session, report_ids: Sequence[int]) -> dict[int, RowCounts]:
    """Duplicates merged into and candidates found for each of ``report_ids`` (reports with neither are left out)."""
    if not report_ids:
        return {}
    merged: dict[int, int] = {primary: count for primary, count in session.execute(
        select(Report.duplicate_of_id, func.count()).where(Report.duplicate_of_id.in_(report_ids))
        .group_by(Report.duplicate_of_id)) if primary is not None}
    candidates = dict(session.execute(select(DuplicateCandidate.report_id, func.count()).where(
        DuplicateCandidate.report_id.in_(report_ids)).group_by(DuplicateCandidate.report_id)).all())
    return {rid: RowCounts(duplicates=merged.get(rid, 0), candidates=candidates.get(rid, 0))
            for rid in set(merged) | set(candidates)}


def export_rows(session: Session, staff: Staff, wanted: StaffFilter, now: datetime) -> Iterator[tuple[Any, ...]]:
    """The filtered reports as plain EXPORT_COLUMNS tuples, newest first, read a batch at a time."""
    query = (staff_query(staff, wanted, now).order_by(Report.created_at.desc(), Report.id.desc())
             .join(Category, Category.id == Report.category_id)
             .outerjoin(Department, Department.id == Report.department_id)
             .with_only_columns(*EXPORT_COLUMNS).execution_options(yield_per=1000))
    for row in session.execute(query):
        yield tuple(row)


# A pin's position travels as whole millionths of a degree (about 0.1 m, finer than a pin can be placed):
# half the text of a float's shortest exact form, which the browser reads in half the time.
MAP_SCALE = 1_000_000
# A pin's status travels as its place in this list, its category as the category's id.
MAP_STATUSES = tuple(STATUSES)


def _map_query(staff: Staff, wanted: StaffFilter, now: datetime, *, limit: int) -> Select:
    return (staff_query(staff, wanted, now).order_by(Report.created_at.desc(), Report.id.desc())
            .with_only_columns(Report.public_id, Report.lat, Report.lon, Report.status, Report.category_id).limit(limit))


def map_points(session: Session, staff: Staff, wanted: StaffFilter, now: datetime, *, limit: int) -> list[tuple[Any, ...]]:
    """The filtered reports as (public id, lat, lon, status, category id) for pins, newest first, at most ``limit``."""
    return [tuple(row) for row in session.execute(_map_query(staff, wanted, now, limit=limit))]


def map_pin(point: Sequence[Any]) -> list[Any]:
    """A row of :func:`map_points` as the map receives it: ``[public id, lat, lon, status, category id]``.

    Coordinates are whole multiples of 1/MAP_SCALE degree, the status is its index in MAP_STATUSES.
    """
    public_id, lat, lon, status, category_id = point
    return [public_id, round(lat * MAP_SCALE), round(lon * MAP_SCALE), MAP_STATUSES.index(status), category_id]


def map_points_json(session: Session, staff: Staff, wanted: StaffFilter, now: datetime, *, limit: int) -> tuple[int, str]:
    """The rows of :func:`map_points` as :func:`map_pin` arrays in one JSON array, and how many rows matched (to ``limit`` + 1).

    On PostgreSQL the database writes the JSON: for 100,000 pins, reading the rows into
    Python and encoding them there took most of the map's answer.
    """
    if session.get_bind().dialect.name != "postgresql":
        found = map_points(session, staff, wanted, now, limit=limit + 1)
        return len(found), json.dumps([map_pin(point) for point in found[:limit]])
    # The statement is too short for JIT compilation to pay for itself: compiling it took a quarter of its time.
    session.execute(text("SET LOCAL jit = off"))
    rows = (_map_query(staff, wanted, now, limit=limit + 1)
            .add_columns(func.row_number().over(order_by=(Report.created_at.desc(), Report.id.desc())).label("n"))
            .subquery())
    # Each row's array written as text: json_build_array cost as much again as reading the rows.
    # PostgreSQL's round() of a float8 rounds half to even, as Python's does (map_pin).
    scale: ColumnElement[int] = literal_column(str(MAP_SCALE))
    status = case({code: index for index, code in enumerate(MAP_STATUSES)}, value=rows.c.status)
    parts = (cast(func.to_json(rows.c.public_id), Text), cast(cast(func.round(rows.c.lat * scale), BigInteger), Text),
             cast(cast(func.round(rows.c.lon * scale), BigInteger), Text), cast(status, Text), cast(rows.c.category_id, Text))
    row: ColumnElement[str] = literal_column("'['", Text)
    for index, value in enumerate(parts):
        row = (row + literal_column("','", Text) if index else row) + value
    array = func.string_agg(row + literal_column("']'", Text), aggregate_order_by(literal_column("','", Text), rows.c.n))
    matched, written = session.execute(select(func.count(), array.filter(rows.c.n <= limit)).select_from(rows)).one()
    return matched, f"[{written or ''}]"


def map_categories(session: Session, staff: Staff) -> dict[int, str]:
    """The codes of the categories a pin of ``staff``'s map can have, by id (those of their jurisdiction)."""
    return dict(session.execute(select(Category.id, Category.code).where(Category.jurisdiction_id == staff.jurisdiction_id)).all())


def public_query(wanted: PublicFilter, *, decimals: int) -> Select:
    """Reports the public may list, filtered; a box matches at the precision published (see disclosure)."""
    query = select(Report).where(Report.hidden.is_(False))
    if wanted.jurisdiction_id is not None:
        query = query.where(Report.jurisdiction_id == wanted.jurisdiction_id)
    if wanted.bbox:
        min_lon, min_lat, max_lon, max_lat = wanted.bbox
        query = query.where(Report.lon.between(*public_range(min_lon, max_lon, decimals)),
                            Report.lat.between(*public_range(min_lat, max_lat, decimals)))
    if wanted.ids:
        query = query.where(Report.public_id.in_(wanted.ids))
    if wanted.statuses:
        query = query.where(Report.status.in_(wanted.statuses))
    codes = [*wanted.categories, *([wanted.category] if wanted.category else [])]
    if codes:
        query = query.join(Category, Report.category_id == Category.id).where(Category.code.in_(codes))
    if wanted.created_from is not None:
        query = query.where(Report.created_at >= wanted.created_from)
    if wanted.created_until is not None:
        query = query.where(Report.created_at <= wanted.created_until)
    return query.order_by(Report.created_at.desc(), Report.id.desc())


def public_page(session: Session, wanted: PublicFilter, *, decimals: int, page: int, page_size: int) -> Page:
    """A page of the public list, newest first."""
    return paged(session, public_query(wanted, decimals=decimals), page=page, page_size=page_size)


def public_rows(session: Session, wanted: PublicFilter, *, decimals: int, page: int, page_size: int) -> list[Report]:
    """A page of the public list without its total (Open311 answers have none)."""
    query = public_query(wanted, decimals=decimals).limit(page_size).offset((page - 1) * page_size)
    return list(session.scalars(query).all())


@dataclass(frozen=True)
class Choices:
    """What a staff member can pick in the list's filters and bulk actions, within their scope."""

    categories: list[Category]
    departments: list[Department]
    wards: list[str]
    members: list[Staff]


def choices(session: Session, staff: Staff) -> Choices:
    """The jurisdiction's categories, departments and ward names, and the members who can be assigned reports.

    Members are the active writers of the staff member's department (of the
    whole jurisdiction for an admin without one).
    """
    jurisdiction = staff.jurisdiction_id
    categories = session.scalars(select(Category).where(Category.jurisdiction_id == jurisdiction)
                                 .order_by(Category.position, Category.id)).all()
    departments = session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction)
                                  .order_by(Department.code)).all()
    wards = session.scalars(select(Area.name_ja).where(Area.jurisdiction_id == jurisdiction, Area.layer == "ward")
                            .distinct().order_by(Area.name_ja)).all()
    members = select(Staff).where(Staff.jurisdiction_id == jurisdiction, Staff.revoked_at.is_(None),
                                  Staff.role.in_(access.WRITERS))
    if access.department_scoped(staff):
        members = members.where(Staff.department_id == staff.department_id)
    return Choices(categories=list(categories), departments=list(departments), wards=list(wards),
                   members=list(session.scalars(members.order_by(Staff.name, Staff.id))))


def find(session: Session, public_id: str) -> Report | None:
    """The report with this public id, whoever may see it (check with access.visibility)."""
    return session.scalar(select(Report).where(Report.public_id == public_id))


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of the staff members with these ids (for a history's actors)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(wanted))).all())


def candidates(session: Session, report: Report) -> list[tuple[Report, float]]:
    """The report's possible duplicates with their distance in metres, nearest first."""
    query = (select(Report, DuplicateCandidate.distance_m).join(DuplicateCandidate, DuplicateCandidate.candidate_id == Report.id)
             .where(DuplicateCandidate.report_id == report.id).order_by(DuplicateCandidate.distance_m, Report.id))
    return [(row[0], row[1]) for row in session.execute(query)]
