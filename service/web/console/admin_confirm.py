"""The question an administration page asks before a delete, a deactivation or a revocation.

Such a button is a link to a page (GET) that says what will happen and holds
the form (POST, with its CSRF token) that does it; without JavaScript that page
opens, with htmx the same page's ``#confirm`` part is swapped in where the
button was (:file:`staff/admin/confirm.html`). Where the change would be
refused (a department still in use), the page says why and offers no button.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import render_template
from flask_babel import LazyString


@dataclass(frozen=True)
class Question:
    heading: str | LazyString
    consequences: Sequence[str | LazyString]
    # Where the form posts, and its button's words; no action: the change cannot be made now.
    action: str | None
    button: str | LazyString
    back: str
    # Form fields the POST sends besides the CSRF token.
    fields: tuple[tuple[str, str], ...] = ()
    # Checkboxes the answer may tick, (name, label); a ticked one posts "1".
    choices: tuple[tuple[str, str | LazyString], ...] = ()


def confirm_page(question: Question) -> str:
    return render_template("staff/admin/confirm.html", question=question)


def refusal_page(heading: str | LazyString, reasons: Sequence[str | LazyString], back: str) -> str:
    """The question's page when the change cannot be made now: why, and the way back, with no button."""
    return confirm_page(Question(heading, reasons, None, "", back))
