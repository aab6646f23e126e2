"""Notifications over the API: admins manage subscribers; staff follow deliveries and admins replay dead letters."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from schemas.notification import (
    DeliveryListSchema,
    DeliveryQuerySchema,
    DeliverySchema,
    SubscriberCreatedSchema,
    SubscriberCreateSchema,
    SubscriberPatchSchema,
    SubscriberSchema,
)
from service.api.admin import READ, WRITE, current_admin, found
from service.api.auth import SECURITY, current_staff
from service.api.paging import page_links
from service.api.problems import abort
from service.domain import deliveries, outbound
from service.domain import subscribers as manage
from service.extensions import db
from service.jobs import jobs
from service.models import Delivery, OutboxEvent, Subscriber
from service.timefmt import iso_tokyo

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/staff",
                description="Notifications: subscribers (webhooks, the push gateway, e-mail) and their deliveries")


def refuse(exc: manage.SubscriberError) -> NoReturn:
    db.session.rollback()
    abort(422, str(exc), errors={exc.field: [str(exc)]})


@blp.route("/admin/subscribers")
class SubscriberCollection(MethodView):
    @blp.response(200, SubscriberSchema(many=True))
    @blp.doc(security=SECURITY, responses=READ)
    def get(self) -> list[dict[str, Any]]:
        """Who is told about the reports of your jurisdiction (secrets are never shown again)."""
        admin = current_admin()
        query = select(Subscriber).where(Subscriber.jurisdiction_id == admin.jurisdiction_id).order_by(Subscriber.id)
        return [manage.snapshot(db.session(), s) for s in db.session.scalars(query)]

    @blp.arguments(SubscriberCreateSchema)
    @blp.response(201, SubscriberCreatedSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a subscriber; the answer shows its HMAC secret once (generated unless given)."""
        admin = current_admin()
        try:
            subscriber, secret = manage.create_subscriber(db.session(), admin, policy=outbound.configured(current_app.config), **body)
        except manage.SubscriberError as exc:
            refuse(exc)
        return {**manage.snapshot(db.session(), subscriber), "secret": secret}


@blp.route("/admin/subscribers/<int:subscriber_id>")
class SubscriberItem(MethodView):
    @blp.response(200, SubscriberSchema)
    @blp.doc(security=SECURITY, responses=READ)
    def get(self, subscriber_id: int) -> dict[str, Any]:
        """One subscriber."""
        return manage.snapshot(db.session(), found(Subscriber, current_admin(), "subscriber", id=subscriber_id))

    @blp.arguments(SubscriberPatchSchema)
    @blp.response(200, SubscriberSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def patch(self, changes: dict[str, Any], subscriber_id: int) -> dict[str, Any]:
        """Change the name, address, department, event types, or pause it with `active` false."""
        admin = current_admin()
        subscriber = found(Subscriber, admin, "subscriber", id=subscriber_id)
        try:
            return manage.snapshot(db.session(), manage.update_subscriber(db.session(), admin, subscriber, changes,
                                                                        outbound.configured(current_app.config)))
        except manage.SubscriberError as exc:
            refuse(exc)

    @blp.response(204)
    @blp.doc(security=SECURITY, responses=WRITE)
    def delete(self, subscriber_id: int) -> None:
        """Delete a subscriber and its deliveries."""
        admin = current_admin()
        manage.delete_subscriber(db.session(), admin, found(Subscriber, admin, "subscriber", id=subscriber_id))


@blp.route("/deliveries")
class DeliveryCollection(MethodView):
    @blp.arguments(DeliveryQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, DeliveryListSchema)
    @blp.doc(security=SECURITY, responses=READ)
    def get(self, page: int, page_size: int, state: str | None = None) -> dict[str, Any]:
        """Deliveries to the subscribers of your jurisdiction and residents' mail about its reports (your department's below admin), newest first."""
        found = deliveries.delivery_page(db.session(), current_staff(), state=state, page=page, page_size=page_size)
        return {"items": [_delivery(*row) for row in found.rows], "page": page, "page_size": page_size, "total": found.total,
                "links": page_links("notifications.DeliveryCollection", page, page_size, found.total)}


@blp.route("/deliveries/<string:delivery_id>/replay")
class DeliveryReplay(MethodView):
    @blp.response(200, DeliverySchema)
    @blp.doc(security=SECURITY, responses={**WRITE, 409: WRITE[422] | {"description": "The delivery is not failed"}})
    def post(self, delivery_id: str) -> dict[str, Any]:
        """Send a dead-lettered delivery again, with a fresh set of attempts."""
        admin = current_admin()
        row = deliveries.find(db.session(), admin, delivery_id)
        if row is None:
            abort(404, "No delivery has this id in your jurisdiction.")
        try:
            deliveries.replay(db.session(), admin, row[0])
        except ValueError as exc:
            abort(409, str(exc))
        jobs.deliver(row[0].id)
        return _delivery(*row)


def _delivery(delivery: Delivery, event: OutboxEvent, subscriber: Subscriber | None) -> dict[str, Any]:
    # A resident's mail says whom it was for, never the address.
    return {"id": delivery.uid, "event": event.event_type, "report": (event.payload or {}).get("report_id"),
            "subscriber": {"id": subscriber.id, "name": subscriber.name, "kind": subscriber.kind} if subscriber else None,
            "recipient": delivery.recipient,
            "state": delivery.state, "attempts": delivery.attempts, "next_attempt_at": iso_tokyo(delivery.next_attempt_at),
            "last_status_code": delivery.last_status_code, "last_error": delivery.last_error,
            "delivered_at": iso_tokyo(delivery.delivered_at), "created_at": iso_tokyo(delivery.created_at)}
