"""Report statuses, their labels and the transitions between them."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain import languages


@dataclass(frozen=True)
class Status:
    code: str
    label_ja: str
    label_en: str
    open: bool

    def label(self, language: str) -> str:
        """The label in ``language`` (service.domain.languages), else the Japanese one."""
        if language == "en":
            return self.label_en
        return languages.pick(languages.status_labels().get(self.code), language) or self.label_ja


STATUSES: dict[str, Status] = {
    s.code: s
    for s in (
        Status("received", "受付", "Received", True),
        Status("acknowledged", "確認済", "Acknowledged", True),
        Status("in_progress", "対応中", "In progress", True),
        Status("resolved", "対応済", "Resolved", False),
        Status("not_actionable", "対応不可", "Not actionable", False),
        Status("forwarded", "他機関へ連絡", "Forwarded to another agency", False),
        Status("duplicate", "重複", "Duplicate", False),
    )
}

OPEN_STATUSES = tuple(code for code, s in STATUSES.items() if s.open)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("acknowledged", "in_progress", "resolved", "not_actionable", "forwarded", "duplicate"),
    "acknowledged": ("in_progress", "resolved", "not_actionable", "forwarded", "duplicate"),
    "in_progress": ("resolved", "not_actionable", "forwarded"),
    "resolved": ("in_progress",),
    "not_actionable": ("acknowledged",),
    "forwarded": ("acknowledged",),
    "duplicate": ("acknowledged",),
}


def label(code: str, language: str = "ja") -> str:
    """The status label in ``language`` (one of service.domain.languages.LANGUAGES); KeyError for an unknown code."""
    return STATUSES[code].label(language)


def allowed_targets(current: str) -> tuple[str, ...]:
    return TRANSITIONS.get(current, ())
