"""Response templates (定型文): the replies staff start from, by category and target status.

A template names a category or none (every category) and a target status or
none (any status, and comments). Staff are offered the active templates that
fit a report's category and the status it is moving to, the most specific
first. Admins manage them; each change is audited and committed once.
Errors are :class:`InvalidTemplate`, a SetupError naming the field at fault.

A template has its Japanese text, an English one and the other languages' in
``translations`` (data, as a category's words). A reply staff send unedited,
word for word a template's text in some language, keeps the template's texts
of that moment with it (``HistoryEntry.reply_translations``); public surfaces
show it in the resident's language. An edited reply is the staff member's own
words and is shown as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain import languages
from service.domain import status as statuses
from service.domain.audit import Actor, audit
from service.domain.jurisdictions import SetupError
from service.models import Category, Report, ResponseTemplate


class InvalidTemplate(SetupError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


FIELDS = ("status", "title", "body_ja", "body_en", "translations", "position", "active")


def snapshot(template: ResponseTemplate) -> dict[str, Any]:
    return {"id": template.id, "category": template.category.code if template.category else None,
            "status": template.status, "title": template.title, "body_ja": template.body_ja,
            "body_en": template.body_en, "translations": template.translations or {}, "position": template.position,
            "active": template.active}


def texts(template: ResponseTemplate) -> dict[str, str]:
    """The template's reply in every language it has, by language tag."""
    found = {language: languages.translated(template.translations, "body", language) for language in languages.LANGUAGES}
    return {**{k: v for k, v in found.items() if v}, **({"en": template.body_en} if template.body_en else {}),
            languages.DEFAULT: template.body_ja}


def text(template: ResponseTemplate, language: str) -> str:
    """The reply in ``language``; Japanese when the template has none in it."""
    return languages.pick(texts(template), language) or template.body_ja


def reply_translations(session: Session, jurisdiction_id: int, reply: str | None) -> dict[str, str] | None:
    """The texts of the active template that ``reply`` repeats word for word, when it has more than one language."""
    if not reply:
        return None
    for template in session.scalars(select(ResponseTemplate).where(ResponseTemplate.jurisdiction_id == jurisdiction_id,
                                                                   ResponseTemplate.active.is_(True))):
        found = texts(template)
        if len(found) > 1 and reply.strip() in {t.strip() for t in found.values()}:
            return found
    return None


def listed(session: Session, jurisdiction_id: int) -> list[ResponseTemplate]:
    """Every template of the jurisdiction, inactive ones included, in the order staff see them."""
    query = (select(ResponseTemplate).where(ResponseTemplate.jurisdiction_id == jurisdiction_id)
             .order_by(ResponseTemplate.position, ResponseTemplate.id))
    return list(session.scalars(query))


def choices(session: Session, report: Report, status: str | None) -> list[ResponseTemplate]:
    """The active templates for ``report`` moving to ``status`` (None: a reply without a change), most specific first."""
    query = select(ResponseTemplate).where(
        ResponseTemplate.jurisdiction_id == report.jurisdiction_id, ResponseTemplate.active.is_(True),
        (ResponseTemplate.category_id == report.category_id) | ResponseTemplate.category_id.is_(None),
        (ResponseTemplate.status == status) | ResponseTemplate.status.is_(None) if status else ResponseTemplate.status.is_(None))
    found = session.scalars(query.order_by(ResponseTemplate.position, ResponseTemplate.id))
    return sorted(found, key=lambda t: (t.category_id is None, t.status is None))


def create(session: Session, admin: Actor, *, title: str, body_ja: str, category: str | None = None,
           status: str | None = None, body_en: str | None = None, translations: dict[str, dict[str, str]] | None = None,
           position: int | None = None, active: bool = True) -> ResponseTemplate:
    """Add a template (after the others unless ``position`` is given); SetupError for an unknown category or status."""
    template = ResponseTemplate(jurisdiction_id=admin.jurisdiction_id, title=title, body_ja=body_ja, body_en=body_en,
                                translations=translations or {},
                                status=_status(status), active=active, category=_category(session, admin.jurisdiction_id, category),
                                position=_next_position(session, admin.jurisdiction_id) if position is None else position)
    session.add(template)
    session.flush()
    audit(session, admin, "response_template.create", "response_template", template.id, None, snapshot(template))
    session.commit()
    return template


def update(session: Session, admin: Actor, template: ResponseTemplate, changes: dict[str, Any]) -> ResponseTemplate:
    """Change a template's texts, category, status, place or whether it is offered."""
    before = snapshot(template)
    # Both are checked before anything changes, so a refused change leaves the template as it was.
    category = _category(session, template.jurisdiction_id, changes["category"]) if "category" in changes else template.category
    changes = {**changes, "status": _status(changes["status"])} if "status" in changes else changes
    template.category = category
    for name in FIELDS:
        if name in changes:
            setattr(template, name, changes[name])
    session.flush()
    audit(session, admin, "response_template.update", "response_template", template.id, before, snapshot(template))
    session.commit()
    return template


def delete(session: Session, admin: Actor, template: ResponseTemplate) -> None:
    """Delete a template; replies once made from it keep their text."""
    audit(session, admin, "response_template.delete", "response_template", template.id, snapshot(template), None)
    session.delete(template)
    session.commit()


def add_templates(session: Session, jurisdiction_id: int, items: Iterable[dict[str, Any]]) -> list[ResponseTemplate]:
    """Add templates from a catalogue (setup and the demo), unaudited, without committing."""
    added = []
    for position, item in enumerate(items):
        added.append(ResponseTemplate(jurisdiction_id=jurisdiction_id, category=_category(session, jurisdiction_id, item.get("category")),
                                      status=_status(item.get("status")), title=item["title"], body_ja=item["body_ja"],
                                      body_en=item.get("body_en"), translations=item.get("translations", {}),
                                      position=position, active=True))
    session.add_all(added)
    session.flush()
    return added


def _category(session: Session, jurisdiction_id: int, code: str | None) -> Category | None:
    if code is None:
        return None
    category = session.scalar(select(Category).where(Category.jurisdiction_id == jurisdiction_id, Category.code == code))
    if category is None:
        raise InvalidTemplate(f"no category {code!r} in this jurisdiction", "category")
    return category


def _status(code: str | None) -> str | None:
    if code is not None and code not in statuses.STATUSES:
        raise InvalidTemplate(f"no status {code!r}; one of {', '.join(statuses.STATUSES)}", "status")
    return code


def _next_position(session: Session, jurisdiction_id: int) -> int:
    return session.execute(select(func.coalesce(func.max(ResponseTemplate.position) + 1, 0))
                           .where(ResponseTemplate.jurisdiction_id == jurisdiction_id)).scalar_one()
