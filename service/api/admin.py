"""The admin API: the setup of the admin's own jurisdiction, and its audit log."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import select

from schemas.admin import (
    AreaImportResultSchema,
    AreaImportSchema,
    AreaQuerySchema,
    AreaSchema,
    AuditListSchema,
    AuditQuerySchema,
    CategoryAdminSchema,
    CategoryCreateSchema,
    CategoryPatchSchema,
    DepartmentCreateSchema,
    DepartmentPatchSchema,
    DepartmentSchema,
    JurisdictionSetupPatchSchema,
    JurisdictionSetupSchema,
    RuleCreateSchema,
    RuleSchema,
    StaffCreatedSchema,
    StaffCreateSchema,
    StaffKeyRenewSchema,
    StaffSchema,
)
from schemas.common import ProblemSchema
from schemas.open311 import ApiClientCreatedSchema, ApiClientCreateSchema, ApiClientSchema
from service import clock
from service.api.auth import SECURITY, current_staff, require
from service.api.body import form_fields
from service.api.boundary import large_body
from service.api.contract import with_character_rule
from service.api.paging import page_links
from service.api.problems import abort
from service.domain import access, api_clients, staff_accounts
from service.domain import admin as setup
from service.domain import audit as audit_log
from service.domain.jurisdictions import SetupError
from service.extensions import db
from service.models import ApiClient, Area, AuditEntry, Category, Department, Jurisdiction, RoutingRule, Staff
from service.timefmt import iso_tokyo

blp = Blueprint("admin", __name__, url_prefix="/api/v1/staff/admin",
                description="Admins: departments, categories, routing rules, areas, staff keys and the audit log "
                            "of their jurisdiction")


def _problems(codes: dict[int, str]) -> dict[int, dict[str, Any]]:
    return {code: {"description": text, "content": {"application/problem+json": {"schema": ProblemSchema}}}
            for code, text in codes.items()}


READ = _problems({401: "No or bad API key", 403: "Only admins", 404: "Not in your jurisdiction"})
WRITE = {**READ, **_problems({409: "The code exists already, or it is still in use", 422: "Invalid fields"})}


def current_admin() -> Staff:
    staff = current_staff()
    require(access.is_admin(staff), "Only admins change the setup of a jurisdiction.")
    return staff


def refuse(exc: SetupError, field: str = "_") -> NoReturn:
    if isinstance(exc, (setup.AlreadyExists, setup.InUse)):
        abort(409, str(exc))
    abort(422, str(exc), errors={field: [str(exc)]})


def found(model: type, admin: Staff, what: str, **key: Any) -> Any:
    row = db.session.scalar(select(model).filter_by(jurisdiction_id=admin.jurisdiction_id, **key))
    if row is None:
        abort(404, f"No {what} has this {next(iter(key))} in your jurisdiction.")
    return row


@blp.route("/jurisdiction")
class OwnJurisdiction(MethodView):
    @blp.response(200, JurisdictionSetupSchema)
    @blp.doc(security=SECURITY, responses=READ)
    def get(self) -> dict[str, Any]:
        """Your jurisdiction, with what it tells residents it does not take."""
        admin = current_admin()
        return setup.jurisdiction_snapshot(db.session.get_one(Jurisdiction, admin.jurisdiction_id))

    @blp.arguments(JurisdictionSetupPatchSchema)
    @blp.response(200, JurisdictionSetupSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def patch(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change what residents are told is not taken here (snow, private land), in each language."""
        return setup.jurisdiction_snapshot(setup.update_jurisdiction(db.session(), current_admin(), changes))


@blp.route("/departments")
class DepartmentCollection(MethodView):
    @blp.response(200, DepartmentSchema(many=True))
    @blp.doc(security=SECURITY, responses=READ)
    def get(self) -> list[dict[str, Any]]:
        """The departments (課) of your jurisdiction, inactive ones included."""
        admin = current_admin()
        query = select(Department).where(Department.jurisdiction_id == admin.jurisdiction_id).order_by(Department.id)
        return [setup.department_snapshot(d) for d in db.session.scalars(query)]

    @blp.arguments(DepartmentCreateSchema)
    @blp.response(201, DepartmentSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a department; `fallback` makes it take the reports no rule matches."""
        admin = current_admin()
        try:
            return setup.department_snapshot(setup.create_department(db.session(), admin, **body))
        except SetupError as exc:
            refuse(exc, "code")


@blp.route("/departments/<string:code>")
class DepartmentItem(MethodView):
    @blp.arguments(DepartmentPatchSchema)
    @blp.response(200, DepartmentSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def patch(self, changes: dict[str, Any], code: str) -> dict[str, Any]:
        """Change names, where notifications go, the fallback flag, or whether it takes reports."""
        admin = current_admin()
        department = found(Department, admin, "department", code=code)
        return setup.department_snapshot(setup.update_department(db.session(), admin, department, changes))

    @blp.response(204)
    @blp.doc(security=SECURITY, responses=WRITE)
    def delete(self, code: str) -> None:
        """Delete a department without reports, rules or staff (otherwise 409: deactivate it instead)."""
        admin = current_admin()
        department = found(Department, admin, "department", code=code)
        try:
            setup.delete_department(db.session(), admin, department)
        except SetupError as exc:
            refuse(exc)


@blp.route("/categories")
class CategoryCollection(MethodView):
    @blp.response(200, CategoryAdminSchema(many=True))
    @blp.doc(security=SECURITY, responses=READ)
    def get(self) -> list[dict[str, Any]]:
        """The categories of your jurisdiction in the order residents see them, inactive ones included."""
        admin = current_admin()
        query = select(Category).where(Category.jurisdiction_id == admin.jurisdiction_id).order_by(Category.position, Category.id)
        return [setup.category_snapshot(c) for c in db.session.scalars(query)]

    @blp.arguments(CategoryCreateSchema)
    @blp.response(201, CategoryAdminSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a category, with its SLA targets and Open311 attributes, after the existing ones."""
        admin = current_admin()
        try:
            return setup.category_snapshot(setup.create_category(db.session(), admin, **body))
        except SetupError as exc:
            refuse(exc, "code")


@blp.route("/categories/<string:code>")
class CategoryItem(MethodView):
    @blp.arguments(CategoryPatchSchema)
    @blp.response(200, CategoryAdminSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def patch(self, changes: dict[str, Any], code: str) -> dict[str, Any]:
        """Change a category; categories are never deleted: `active` false withdraws one from residents."""
        admin = current_admin()
        category = found(Category, admin, "category", code=code)
        try:
            return setup.category_snapshot(setup.update_category(db.session(), admin, category, changes))
        except SetupError as exc:
            refuse(exc, "resolution_days")


@blp.route("/rules")
class RuleCollection(MethodView):
    @blp.response(200, RuleSchema(many=True))
    @blp.doc(security=SECURITY, responses=READ)
    def get(self) -> list[dict[str, Any]]:
        """The routing rules of your jurisdiction, the first to win first."""
        admin = current_admin()
        query = (select(RoutingRule).where(RoutingRule.jurisdiction_id == admin.jurisdiction_id)
                 .order_by(RoutingRule.priority, RoutingRule.id))
        return [setup.rule_snapshot(db.session(), r) for r in db.session.scalars(query)]

    @blp.arguments(RuleCreateSchema)
    @blp.response(201, RuleSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send reports of a category (or any) in an area (or anywhere) to a department."""
        admin = current_admin()
        try:
            rule = setup.create_rule(db.session(), admin, **body)
        except SetupError as exc:
            refuse(exc, next((name for name in ("department", "category", "area") if f"no {name}" in str(exc)), "_"))
        return setup.rule_snapshot(db.session(), rule)


@blp.route("/rules/<int:rule_id>")
class RuleItem(MethodView):
    @blp.response(204)
    @blp.doc(security=SECURITY, responses=WRITE)
    def delete(self, rule_id: int) -> None:
        """Delete a routing rule; reports it routed keep their department."""
        admin = current_admin()
        setup.delete_rule(db.session(), admin, found(RoutingRule, admin, "routing rule", id=rule_id))


@blp.route("/areas")
class AreaCollection(MethodView):
    @blp.arguments(AreaQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AreaSchema(many=True))
    @blp.doc(security=SECURITY, responses=READ)
    def get(self, geometry: bool, layer: str | None = None) -> list[dict[str, Any]]:
        """The areas of your jurisdiction, of one layer on request; geometries only with `geometry=true`."""
        admin = current_admin()
        query = select(Area).where(Area.jurisdiction_id == admin.jurisdiction_id).order_by(Area.layer, Area.code)
        if layer is not None:
            query = query.where(Area.layer == layer)
        return [_area(a, geometry) for a in db.session.scalars(query)]


@blp.route("/areas/<int:area_id>")
class AreaItem(MethodView):
    @blp.response(200, AreaSchema)
    @blp.doc(security=SECURITY, responses=READ)
    def get(self, area_id: int) -> dict[str, Any]:
        """One area with its geometry."""
        return _area(found(Area, current_admin(), "area", id=area_id), True)

    @blp.response(204)
    @blp.doc(security=SECURITY, responses=WRITE)
    def delete(self, area_id: int) -> None:
        """Delete an area together with the routing rules that name it."""
        admin = current_admin()
        setup.delete_area(db.session(), admin, found(Area, admin, "area", id=area_id))


IMPORT_DOC = {
    "required": True,
    "content": {
        "application/geo+json": {"schema": {"type": "object", "description": "a GeoJSON FeatureCollection, Feature or geometry"}},
        "application/json": {"schema": {"type": "object", "description": "a GeoJSON FeatureCollection, Feature or geometry"}},
        "multipart/form-data": {"schema": with_character_rule({"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary", "description": "a GeoJSON file (国土数値情報 N03 included)"},
            "layer": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_\\-]{0,49}$"},
            "name_property": {"type": "string", "minLength": 1, "maxLength": 100}}}, line=False)},
    },
}
IMPORT_PARAMETERS = [
    {"in": "query", "name": "layer", "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_\\-]{0,49}$"}, "required": True,
     "description": "the layer (a multipart form may give it as a field instead)"},
    {"in": "query", "name": "name_property", "required": False,
     "schema": with_character_rule({"type": "string", "minLength": 1, "maxLength": 100}, line=True),
     "description": "the feature property holding the name (or a form field)"},
]


@blp.route("/areas/import")
class AreaImport(MethodView):
    @large_body
    @blp.response(200, AreaImportResultSchema)
    @blp.doc(security=SECURITY, requestBody=IMPORT_DOC, parameters=IMPORT_PARAMETERS,
             responses={**WRITE, **_problems({415: "Not GeoJSON or multipart"})})
    def post(self) -> dict[str, Any]:
        """Import the areas of a GeoJSON file into a layer; an area with the same layer and code is replaced.

        A file that cannot be used is refused whole (422, naming the feature) and nothing is imported.
        """
        admin = current_admin()
        options, data = _import_request()
        try:
            created, updated = setup.import_layer(db.session(), admin, data, layer=options["layer"],
                                                  name_property=options.get("name_property"))
        except SetupError as exc:
            refuse(exc, "file")
        return {"layer": options["layer"], "created": created, "updated": updated}


@blp.route("/staff")
class StaffCollection(MethodView):
    @blp.response(200, StaffSchema(many=True))
    @blp.doc(security=SECURITY, responses=READ)
    def get(self) -> list[dict[str, Any]]:
        """The staff members of your jurisdiction and their keys (never the key itself), revoked ones included."""
        admin = current_admin()
        query = select(Staff).where(Staff.jurisdiction_id == admin.jurisdiction_id).order_by(Staff.id)
        return [_staff(s) for s in db.session.scalars(query)]

    @blp.arguments(StaffCreateSchema)
    @blp.response(201, StaffCreatedSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a staff member; the answer shows the API key once, and it is stored hashed."""
        admin = current_admin()
        try:
            member, key = setup.create_staff_key(db.session(), admin, **body)
        except SetupError as exc:
            refuse(exc, "name" if "name" in str(exc) else "department")
        return {**_staff(member), "api_key": key}


@blp.route("/staff/<int:staff_id>")
class StaffItem(MethodView):
    @blp.response(204)
    @blp.doc(security=SECURITY, responses=WRITE)
    def delete(self, staff_id: int) -> None:
        """Revoke a staff member's key: it answers 401 from now on."""
        admin = current_admin()
        setup.revoke_staff_key(db.session(), admin, found(Staff, admin, "staff member", id=staff_id))


@blp.route("/staff/<int:staff_id>/key")
class StaffKey(MethodView):
    @blp.arguments(StaffKeyRenewSchema, required=False)
    @blp.response(200, StaffCreatedSchema)
    @blp.doc(security=SECURITY, responses={**READ, **_problems({409: "The member is deactivated: their key stays revoked",
                                                                422: "Invalid fields"})})
    def post(self, body: dict[str, Any] | None, staff_id: int) -> dict[str, Any]:
        """Give a member a new API key, shown once in the answer; the key before stops now, or after 24 hours with ``keep_previous``."""
        admin = current_admin()
        member = found(Staff, admin, "staff member", id=staff_id)
        try:
            key = staff_accounts.renew_key(db.session(), admin, member, clock.now(),
                                           keep_previous=bool((body or {}).get("keep_previous")))
        except SetupError as exc:
            abort(409, str(exc))
        return {**_staff(member), "api_key": key}


@blp.route("/clients")
class ClientCollection(MethodView):
    @blp.response(200, ApiClientSchema(many=True))
    @blp.doc(security=SECURITY, responses=READ)
    def get(self) -> list[dict[str, Any]]:
        """The Open311 client systems of your jurisdiction (never their keys), revoked ones included."""
        admin = current_admin()
        query = select(ApiClient).where(ApiClient.jurisdiction_id == admin.jurisdiction_id).order_by(ApiClient.id)
        return [_client(c) for c in db.session.scalars(query)]

    @blp.arguments(ApiClientCreateSchema)
    @blp.response(201, ApiClientCreatedSchema)
    @blp.doc(security=SECURITY, responses=WRITE)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add an Open311 client system; the answer shows its api_key once, and it is stored hashed."""
        admin = current_admin()
        # A staff member's jurisdiction is a required foreign key, so it exists.
        code = db.session.get_one(Jurisdiction, admin.jurisdiction_id).code
        try:
            client, key = api_clients.create_client(db.session(), name=body["name"], jurisdiction_code=code, admin=admin)
        except api_clients.ApiClientError as exc:
            db.session.rollback()
            abort(422, str(exc), errors={"name": [str(exc)]})
        return {**_client(client), "api_key": key}


@blp.route("/clients/<int:client_id>")
class ClientItem(MethodView):
    @blp.response(204)
    @blp.doc(security=SECURITY, responses=WRITE)
    def delete(self, client_id: int) -> None:
        """Revoke a client system's api_key: Open311 answers 403 to it from now on."""
        admin = current_admin()
        api_clients.revoke_client(db.session(), admin, found(ApiClient, admin, "client", id=client_id))


def _client(c: ApiClient) -> dict[str, Any]:
    code = db.session.scalar(select(Jurisdiction.code).where(Jurisdiction.id == c.jurisdiction_id))
    return {"id": c.id, "name": c.name, "jurisdiction": code, "key_prefix": c.key_prefix,
            "created_at": iso_tokyo(c.created_at), "last_used_at": iso_tokyo(c.last_used_at),
            "revoked_at": iso_tokyo(c.revoked_at)}


@blp.route("/audit")
class AuditLog(MethodView):
    @blp.arguments(AuditQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AuditListSchema)
    @blp.doc(security=SECURITY, responses=READ)
    def get(self, page: int, page_size: int) -> dict[str, Any]:
        """Who changed what in your jurisdiction, newest first."""
        admin = current_admin()
        found = audit_log.entry_page(db.session(), admin.jurisdiction_id, audit_log.AuditFilter(), page=page, page_size=page_size)
        return {"items": [_audit_entry(entry, who) for entry, who in found.rows], "page": page, "page_size": page_size,
                "total": found.total, "links": page_links("admin.AuditLog", page, page_size, found.total)}


def _import_request() -> tuple[dict[str, Any], bytes]:
    """The import options (query, or form fields) and the GeoJSON bytes (body, or the `file` part)."""
    mimetype = request.mimetype
    raw: dict[str, Any] = dict(request.args.items())
    if mimetype in ("application/json", "application/geo+json"):
        data = request.get_data(cache=False)
    elif mimetype == "multipart/form-data":
        raw.update(form_fields(request))
        unknown = [name for name in request.files if name != "file"]
        if unknown:
            abort(422, "The GeoJSON goes in the `file` part.", errors={name: ["Unknown file field."] for name in unknown})
        files = request.files.getlist("file")
        if len(files) != 1:
            abort(422, "Send one GeoJSON file in the `file` part.", errors={"file": ["Give one file."]})
        data = files[0].read()
    else:
        abort(415, "Send the GeoJSON as application/geo+json, application/json, or multipart/form-data with a `file` part.")
    try:
        return AreaImportSchema().load(raw), data
    except ValidationError as exc:
        abort(422, "The import has invalid fields.", errors=exc.normalized_messages())


def _area(a: Area, with_geometry: bool) -> dict[str, Any]:
    body = {"id": a.id, "layer": a.layer, "code": a.code, "name": a.name_ja, "name_en": a.name_en,
            "properties": a.properties or {}, "updated_at": iso_tokyo(a.updated_at)}
    if with_geometry:
        body["geometry"] = a.geometry
    return body


def _staff(s: Staff) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "role": s.role, "department": s.department.code if s.department else None,
            "key_prefix": s.key_prefix, "created_at": iso_tokyo(s.created_at), "last_used_at": iso_tokyo(s.last_used_at),
            "revoked_at": iso_tokyo(s.revoked_at), **_previous_key(s)}


def _previous_key(s: Staff) -> dict[str, Any]:
    working = staff_accounts.previous_key_working(s, clock.now())
    return {"previous_key_prefix": s.previous_key_prefix if working else None,
            "previous_key_until": iso_tokyo(s.previous_key_until) if working else None}


def _audit_entry(entry: AuditEntry, who: Staff | None) -> dict[str, Any]:
    return {"id": entry.id, "who": {"id": who.id, "name": who.name, "role": who.role} if who else None,
            "action": entry.action, "target": {"type": entry.target_type, "id": entry.target_id},
            "before": entry.before, "after": entry.after, "at": iso_tokyo(entry.created_at)}
