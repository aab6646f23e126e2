"""The place search of the report form and the app: the places inside a jurisdiction a partly typed name may mean.

A POST, so that what a resident types (perhaps their own address) stays in the
body: out of access logs, proxies' logs and Referer headers, where a query
string would carry it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from schemas.common import ProblemSchema
from schemas.place import PlaceListSchema, PlaceSearchSchema
from service.api.limits import Budget, address_key, counting_refusals, within
from service.api.problems import abort
from service.domain.local_government_code import normalize
from service.domain.place_search import suggest
from service.extensions import db
from service.models import Jurisdiction
from service.pipeline import geocode_cache, place_search_for

blp = Blueprint("places", __name__, url_prefix="/api/v1", description="Residents: places to report at, found by name")


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": ProblemSchema}}}


@blp.route("/jurisdictions/<code>/places/search")
class PlaceSearch(MethodView):
    @blp.arguments(PlaceSearchSchema)
    @blp.response(200, PlaceListSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
    @blp.doc(responses={404: _problem("No such jurisdiction"),
                        429: _problem("Too many searches from this address; see Retry-After")})
    def post(self, body: dict[str, Any], code: str) -> Any:
        """The places inside the jurisdiction that a partly typed name may mean, best first (as the resident types).

        They come from Nominatim bounded to the jurisdiction when a self-hosted
        one is configured, else (or when it fails) from the jurisdiction's own
        areas: its wards and 町丁目. Only places inside the boundary are
        offered, each a public place with its position; nothing of any report.
        """
        with counting_refusals("places"), within([Budget("places", "RATE_LIMIT_PLACE_SEARCHES", address_key())]):
            jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == (normalize(code) or code)))
            if jurisdiction is None:
                abort(404, f"No jurisdiction {code} is served here.")
            # The areas answer when Nominatim does not, and they never fail, so a search always has an answer.
            places = suggest(db.session(), place_search_for(current_app), jurisdiction, body["query"],
                             limit=body["limit"], cache=geocode_cache(current_app))
        # What was typed is in the body, so no shared cache could key on it; the server's own cache keeps the answer.
        return {"places": places}, 200, {"Cache-Control": "no-store"}
