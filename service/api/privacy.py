"""Admins answering a person's request about their data: 開示 (find, export), 訂正 (correct), 利用停止 (erase).

The person is named in the request body, never the URL, so an e-mail address
or LINE id does not land in an access log. Each act is audited by the domain
(service/domain/rights.py).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.privacy import CorrectedSchema, CorrectSchema, ErasedSchema, ExportSchema, HoldingsSchema, PersonSchema
from service.api.admin import WRITE
from service.api.auth import SECURITY, current_staff, require
from service.api.csv_files import csv_text
from service.api.problems import abort
from service.domain import access, rights
from service.extensions import db
from service.models import Staff

blp = Blueprint("privacy", __name__, url_prefix="/api/v1/staff/admin/privacy",
                description="Admins: a person's data in their jurisdiction, found, exported, corrected or erased")



def current_admin() -> Staff:
    staff = current_staff()
    require(access.is_admin(staff), "Only admins answer a person's requests about their data.")
    return staff


def _identity(body: dict[str, Any]) -> rights.Identity:
    try:
        return rights.Identity.parse(body["by"], body["value"])
    except rights.RightsError as exc:
        abort(422, str(exc), errors={"value": [str(exc)]})


@blp.route("/find")
class Find(MethodView):
    @blp.arguments(PersonSchema)
    @blp.response(200, HoldingsSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Everything held about one person in your jurisdiction (audited as a disclosure)."""
        admin = current_admin()
        holdings = rights.disclose(db.session(), admin, _identity(body))
        db.session.commit()
        return holdings.body


@blp.route("/export")
class Export(MethodView):
    @blp.arguments(ExportSchema)
    @blp.response(200, HoldingsSchema, content_type="application/json")
    @blp.doc(security=SECURITY, responses={**WRITE, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    def post(self, body: dict[str, Any]) -> Any:
        """A person's data as a file to hand them: JSON, or CSV rows of section, record, field and value (audited)."""
        admin = current_admin()
        holdings = rights.disclose(db.session(), admin, _identity(body), "privacy.exported")
        db.session.commit()
        if body["format"] == "json":
            return holdings.body
        response = Response("".join(csv_text(rights.EXPORT_HEADER, rights.rows(holdings), bom=True)), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="personal-data.csv"'
        return response


@blp.route("/correct")
class Correct(MethodView):
    @blp.arguments(CorrectSchema)
    @blp.response(200, CorrectedSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Correct a person's contact fields on every report they made (audited, without the values)."""
        admin = current_admin()
        changes = {f"reporter_{name}": value for name, value in body["changes"].items()}
        try:
            holdings = rights.correct(db.session(), admin, _identity(body), changes)
        except rights.NobodyFound as exc:
            db.session.rollback()
            abort(404, str(exc))
        except rights.RightsError as exc:
            db.session.rollback()
            abort(422, str(exc), errors={"changes": [str(exc)]})
        db.session.commit()
        return {"reports": [r.public_id for r in holdings.reports], "fields_": sorted(changes)}


@blp.route("/erase")
class Erase(MethodView):
    @blp.arguments(PersonSchema)
    @blp.response(200, ErasedSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Erase and anonymise a person's data: contact, device and LINE ids, kept originals (audited)."""
        admin = current_admin()
        removed = rights.erase(db.session(), admin, _identity(body))
        db.session.commit()
        removed.delete_objects(db.session(), current_app.extensions["photo_store"])
        return removed.as_dict()
