"""Liveness and readiness."""

from __future__ import annotations

import logging

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text

from schemas.common import ProblemSchema
from service.api.problems import abort
from service.extensions import db

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__, description="Health checks for load balancers and orchestrators")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    checks = fields.Dict(keys=fields.String(), values=fields.String())


@blp.route("/healthz")
class Liveness(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> dict:
        """The process is alive."""
        return {"status": "ok", "checks": {}}


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=ProblemSchema, description="A dependency is unreachable", content_type="application/problem+json")
    def get(self) -> dict:
        """The database and the broker are reachable."""
        checks = {"database": _database(), "broker": _broker()}
        if any(v != "ok" for v in checks.values()):
            abort(503, "Not ready: " + ", ".join(k for k, v in checks.items() if v != "ok") + " unreachable.", checks=checks)
        return {"status": "ok", "checks": checks}


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001  (any driver error means not ready)
        db.session.rollback()
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return "unreachable"


def _broker() -> str:
    celery = current_app.extensions["celery"]
    if celery.conf.broker_url.startswith("memory://"):
        return "ok"
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:  # noqa: BLE001  (any transport error means not ready)
        log.warning("readiness: broker unreachable: %s", type(exc).__name__)
        return "unreachable"
