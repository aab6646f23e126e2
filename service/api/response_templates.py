"""Response templates (定型文) over the API: admins manage them, staff list those that fit a report."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.response_template import (
    ResponseTemplateCreateSchema,
    ResponseTemplatePatchSchema,
    ResponseTemplateSchema,
    TemplateChoiceQuerySchema,
    TemplateChoiceSchema,
)
from service.api.admin import READ, WRITE, current_admin, found, refuse
from service.api.auth import SECURITY, current_staff
from service.api.language import preferred_language
from service.api.staff import PROBLEMS, visible_report
from service.domain import response_templates as templates
from service.extensions import db
from service.models import ResponseTemplate

blp = Blueprint("response_templates", __name__, url_prefix="/api/v1",
                description="Response templates (定型文): replies staff start from, by category and target status")


@blp.route("/staff/admin/response-templates")
class TemplateCollection(MethodView):
    @blp.response(200, ResponseTemplateSchema(many=True))
    @blp.doc(security=SECURITY, responses=READ)
    def get(self) -> list[dict[str, Any]]:
        """The templates of your jurisdiction, inactive ones included, in the order staff see them."""
        admin = current_admin()
        return [templates.snapshot(t) for t in templates.listed(db.session(), admin.jurisdiction_id)]

    @blp.arguments(ResponseTemplateCreateSchema)
    @blp.response(201, ResponseTemplateSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a template for a category (or every one) and a target status (or any)."""
        admin = current_admin()
        try:
            return templates.snapshot(templates.create(db.session(), admin, **body))
        except templates.InvalidTemplate as exc:
            db.session.rollback()
            refuse(exc, exc.field)


@blp.route("/staff/admin/response-templates/<int:template_id>")
class TemplateItem(MethodView):
    @blp.arguments(ResponseTemplatePatchSchema)
    @blp.response(200, ResponseTemplateSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def patch(self, changes: dict[str, Any], template_id: int) -> dict[str, Any]:
        """Change a template; `active` false stops offering it."""
        admin = current_admin()
        template = found(ResponseTemplate, admin, "response template", id=template_id)
        try:
            return templates.snapshot(templates.update(db.session(), admin, template, changes))
        except templates.InvalidTemplate as exc:
            db.session.rollback()
            refuse(exc, exc.field)

    @blp.response(204)
    @blp.doc(security=SECURITY, responses=READ)
    def delete(self, template_id: int) -> None:
        """Delete a template; replies made from it keep their text."""
        admin = current_admin()
        templates.delete(db.session(), admin, found(ResponseTemplate, admin, "response template", id=template_id))


@blp.route("/staff/reports/<string:report_id>/templates")
class TemplateChoices(MethodView):
    @blp.arguments(TemplateChoiceQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, TemplateChoiceSchema(many=True))
    @blp.doc(security=SECURITY, responses=PROBLEMS)
    def get(self, report_id: str, to: str | None = None) -> list[dict[str, Any]]:
        """The templates that fit the report's category and the status it moves to, most specific first."""
        report = visible_report(report_id, current_staff())
        language = preferred_language()
        return [{"id": t.id, "title": t.title, "text": templates.text(t, language),
                 "category": t.category.code if t.category else None, "status": t.status}
                for t in templates.choices(db.session(), report, to)]
