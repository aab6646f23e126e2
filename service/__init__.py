"""Machikoe (まちの声): citizen reports for Japanese municipalities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from service.db_pool import RECYCLE_SECONDS, init_pool_checks

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment; ``test_config`` overrides settings.

    Only wiring happens here: settings, extensions, blueprints, error handlers.
    """
    from config.settings import derive_settings, load_settings
    from service.api import (
        admin,
        docs,
        health,
        notifications,
        open311,
        opendata,
        photo_regions,
        photos,
        places,
        privacy,
        resident,
        response_templates,
        staff,
        stats,
    )
    from service.api.auth import init_staff_authentication
    from service.api.boundary import init_boundary
    from service.api.caching import init_cache_policy
    from service.api.limits import init_limiter
    from service.api.outages import init_outage_handlers
    from service.api.problems import ProblemApi, handle_unexpected, init_routing_redirects
    from service.api.unchanged_polls import UnchangedPolls
    from service.channels.line import webhook as line_webhook
    from service.clock import init_clock
    from service.datadir import secure_data_dir
    from service.extensions import db, migrate
    from service.logs import configure_logging, init_request_ids
    from service.secret import load_or_create_secret
    from service.storage.factory import photo_store_from_settings
    from service.web import init_web
    from workers.celery_app import celery_init_app, celery_settings

    settings = derive_settings({**load_settings(), **(test_config or {})})
    secure_data_dir(settings)
    # Static files are served by service.web under /static/, never from the working directory.
    app = Flask("machikoe", static_folder=None)
    app.config.update(settings)
    app.config.update(
        SECRET_KEY=settings["SECRET_KEY"] or load_or_create_secret(settings["DATA_DIR"]),
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings["DATABASE_URL"]),
        MAX_CONTENT_LENGTH=settings["MAX_REQUEST_BYTES"],
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        API_TITLE="Machikoe",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Citizen reports (通報) for Japanese municipalities: intake, status and photos.",
                "license": {"name": "AGPL-3.0-or-later"},
            },
        },
        CELERY=celery_settings(settings["CELERY_BROKER_URL"], settings["SWEEP_INTERVAL_SECONDS"],
                               settings["NOTIFY_DISPATCH_INTERVAL_SECONDS"], settings["NOTIFY_SWEEP_INTERVAL_SECONDS"],
                               settings["PRIVACY_PURGE_INTERVAL_SECONDS"]),
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    init_clock(app, (test_config or {}).get("CLOCK"))
    configure_logging(settings["LOG_LEVEL"])
    db.init_app(app)
    if not settings["DATABASE_URL"].startswith("sqlite"):
        with app.app_context():
            init_pool_checks(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    api = ProblemApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "description": "a staff API key"})
    for blueprint in (resident.blp, photos.blp, staff.blp, photo_regions.blp, stats.blp, admin.blp, notifications.blp, health.blp,
                      open311.blp, opendata.blp, privacy.blp, response_templates.blp, places.blp):
        api.register_blueprint(blueprint)
    app.register_error_handler(Exception, handle_unexpected)
    init_outage_handlers(app)
    init_request_ids(app)
    # A staff request without a valid key is answered 401 before its body or query is read.
    init_staff_authentication(app)
    init_boundary(app)
    init_limiter(app)
    # A poll of an unchanged report is answered before Flask builds a request for it; the
    # proxy headers are read first, so its access line names the client as any other does.
    app.wsgi_app = UnchangedPolls(app, app.wsgi_app)  # type: ignore[method-assign]
    if settings["TRUSTED_PROXY_HOPS"]:
        # The reverse proxies in front (nginx, a load balancer) tell the client's
        # address and scheme; only as many hops as the operator trusts are read.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings["TRUSTED_PROXY_HOPS"], x_proto=settings["TRUSTED_PROXY_HOPS"])  # type: ignore[method-assign]
    init_cache_policy(app)
    open311.init_routing_errors(app)
    init_routing_redirects(app)
    app.register_blueprint(docs.blp)
    app.register_blueprint(line_webhook.bp)
    celery_init_app(app)
    app.extensions["photo_store"] = photo_store_from_settings(settings)
    app.extensions["api"] = api
    init_web(app)
    return app


def _engine_options(url: str) -> dict[str, Any]:
    # Statement parameters hold reporters' contact details: no error message or log line shows them.
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    # Connections are tested after idling rather than at every checkout (service.db_pool).
    return {"pool_recycle": RECYCLE_SECONDS, "pool_size": 10, "max_overflow": 10, "hide_parameters": True}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # SQLite needs foreign keys switched on, and WAL so the embedded worker
    # and the web threads do not block each other's reads.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
