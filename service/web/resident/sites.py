"""Each jurisdiction's resident site: its own service name, logo, colour and contact,
and whether its reports are public on the web.

Cities name their service themselves (「Mレポ」, 「レポナウすかがわ」); the pages
take these from a settings file (``RESIDENT_SITES_FILE``, else
``config/resident_sites.json``) rather than from forked templates. A
jurisdiction missing from the file gets the generic name and public reports.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from service.domain.languages import pick

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "config" / "resident_sites.json"
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# The brand colour when a site sets none: the design tokens' blue-900.
DEFAULT_COLOUR = "#0017c1"


@dataclass(frozen=True)
class Site:
    code: str | None
    names: dict[str, str] = field(default_factory=dict)
    logo: str | None = None
    colour: str = DEFAULT_COLOUR
    phone: str | None = None
    hours: dict[str, str] = field(default_factory=dict)
    public_reports: bool = True

    def name(self, language: str) -> str | None:
        """The service's own name in ``language`` (Japanese when not translated); None for the generic name."""
        return pick(self.names, language)

    def contact_hours(self, language: str) -> str | None:
        return pick(self.hours, language)


def site_for(path: str, code: str | None) -> Site:
    """The site of jurisdiction ``code`` from the settings file at ``path`` ("" for the default file)."""
    spec = _sites(path).get(code or "")
    if spec is None:
        return Site(code=code)
    contact = spec.get("contact") or {}
    colour = spec.get("colour") or DEFAULT_COLOUR
    if not COLOUR.match(colour):
        raise ValueError(f"resident site {code}: colour {colour!r} is not #rrggbb")
    return Site(code=code, names=dict(spec.get("name") or {}), logo=spec.get("logo"), colour=colour.lower(),
                phone=contact.get("phone"), hours=dict(contact.get("hours") or {}),
                public_reports=bool(spec.get("public_reports", True)))


@cache
def _sites(path: str) -> dict[str, dict[str, Any]]:
    sites = json.loads(Path(path or DEFAULT_FILE).read_text(encoding="utf-8"))
    return {code: spec for code, spec in sites.items() if not code.startswith("_")}
