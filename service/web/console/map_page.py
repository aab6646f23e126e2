"""The map (/staff/map): the inbox's filters on a Leaflet map, pins clustered, boundaries drawn.

The page carries only addresses and settings in data-* attributes; the
script (static/console/map.js) fetches the pins and outlines as JSON from the
two views below. Pins come from :func:`report_lists.map_points`, the same
scoped, filtered query as the inbox, so a filter means the same on both.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from service import clock
from service.api.problems import problem_response
from service.domain import outlines, report_lists
from service.domain import status as statuses
from service.extensions import db
from service.web.console import bp
from service.web.console.inbox import parsed_filter
from service.web.console.member import current_member
from service.web.locale import page_language

# Enough for every open report of a large city; the map says when more matched.
MAX_POINTS = 100_000
# A report's address in the console is this prefix and its public id.
REPORT_PLACEHOLDER = "__report__"


@bp.get("/map")
def map_page() -> tuple[str, int]:
    member = current_member()
    wanted, _args, errors = parsed_filter()
    language = page_language()
    query = request.query_string.decode()
    choices = report_lists.choices(db.session(), member)
    context: dict[str, Any] = {
        "statuses": statuses.STATUSES, "selected_statuses": set(wanted.statuses), "args": request.args,
        "choices": choices, "language": language, "errors": errors,
        "points_url": url_for("staff_web.map_points") + (f"?{query}" if query else ""),
        "outlines_url": url_for("staff_web.map_outlines"),
        "report_url": url_for("staff_web.report_page", public_id=REPORT_PLACEHOLDER),
        "tile_url": current_app.config["MAP_TILE_URL"], "attribution": current_app.config["MAP_TILE_ATTRIBUTION"],
        "status_labels": {code: statuses.label(code, language) for code in statuses.STATUSES},
        # By id, as the pins name their category.
        "category_names": {c.id: c.name_en if language == "en" and c.name_en else c.name_ja for c in choices.categories},
    }
    return render_template("staff/map.html", **context), 400 if errors else 200


@bp.get("/map/points")
def map_points() -> Response:
    """The filtered reports as compact ``[public id, lat, lon, status, category]`` rows, newest first, at most MAX_POINTS.

    Coordinates are whole millionths of a degree (divide by ``scale``), a status
    is its index in ``statuses`` and a category its id, a key of ``categories``:
    100,000 rows are half the text that floats and codes made, and parse in half the time.
    """
    member = current_member()
    wanted, _args, errors = parsed_filter()
    if errors:
        return problem_response(400, _("絞り込みの条件が正しくありません。"), errors=errors)
    session = db.session()
    matched, points = report_lists.map_points_json(session, member, wanted, clock.now(), limit=MAX_POINTS)
    # The points arrive as JSON text written by the database; the rest of the answer is put around them.
    head = json.dumps({"count": min(matched, MAX_POINTS), "complete": matched <= MAX_POINTS, "limit": MAX_POINTS,
                       "fields": ["id", "lat", "lon", "status", "category"], "scale": report_lists.MAP_SCALE,
                       "statuses": list(report_lists.MAP_STATUSES),
                       "categories": report_lists.map_categories(session, member)}, ensure_ascii=False)
    return Response(head[:-1] + ', "points": ' + points + "}", mimetype="application/json")


@bp.get("/map/outlines")
def map_outlines() -> Response:
    """The jurisdiction's boundary and its wards as GeoJSON, for the staff member's own jurisdiction."""
    member = current_member()
    response = jsonify(outlines.jurisdiction_outlines(db.session(), member.jurisdiction_id))
    response.mimetype = "application/geo+json"
    return response
