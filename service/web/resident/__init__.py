"""The resident pages, at ``/``: the report form, a report's status page.

They call the same domain functions as the resident API (intake, report
stamps, the public view), in the seven languages residents read
(:mod:`service.domain.languages`); each jurisdiction's name, logo, colours,
contact and whether its reports are public on the web come from its site
settings (:mod:`service.web.resident.sites`).
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup

from service.domain.languages import NAMES
from service.web.locale import offer_languages
from service.web.resident import icons

bp = Blueprint("resident_web", __name__, template_folder="templates")


@bp.record_once
def _languages(state: BlueprintSetupState) -> None:
    offer_languages(cast(Flask, state.app), bp.name, dict(NAMES))


@bp.app_template_global()
def category_icon(name: str) -> Markup:
    """A category's icon as inline SVG, decorative beside its name (service.web.resident.icons)."""
    return icons.svg(name)


from service.web.resident import own, rating_link, unsubscribe, views  # noqa: E402,F401  (registers the views on bp)
