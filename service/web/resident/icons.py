"""The icons beside the categories' names: Tabler Icons (MIT, vendored from npm), drawn inline as SVG.

Emoji depend on the reader's fonts (headless Chromium and many older phones
draw boxes); an SVG draws the same everywhere and takes the text colour. An
icon stands beside the category's name, which says everything it says, so it
is decorative: hidden from screen readers and never focusable.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask import current_app
from markupsafe import Markup

# service.web.vendoring.SERVED_DIR, which lists this module's files among its packages.
VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"

PACKAGE = "@tabler/icons"
# The icon of each category of the default catalogue; a category a jurisdiction adds gets the pin.
ICONS = {
    "road_damage": "road", "streetlight": "bulb", "park_equipment": "trees", "illegal_dumping": "trash",
    "graffiti": "spray", "sewer_drain": "droplet", "traffic_sign": "road-sign", "other": "map-pin",
}
DEFAULT_ICON = "map-pin"
# The files vendored from the package (service.web.vendoring): only the icons named here.
FILES = tuple(f"icons/outline/{name}.svg" for name in sorted({*ICONS.values(), DEFAULT_ICON}))


def icon_name(category_code: str) -> str:
    return ICONS.get(category_code, DEFAULT_ICON)


def svg(name: str) -> Markup:
    """The icon's SVG, ready to place in a page, marked decorative (an unknown name gives the default icon)."""
    return _svg(current_app.extensions["web_vendor"][PACKAGE], name)


@cache
def _svg(package_folder: str, name: str) -> Markup:
    folder = VENDOR_DIR / package_folder / "icons" / "outline"
    path = folder / f"{name}.svg"
    if name not in {*ICONS.values(), DEFAULT_ICON} or not path.is_file():
        path = folder / f"{DEFAULT_ICON}.svg"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S).strip()
    # The package's own classes say what the icon is; the page styles it by "icon".
    text = re.sub(r'\s+class="[^"]*"', "", text, count=1)
    text = text.replace("<svg", '<svg class="icon" aria-hidden="true" focusable="false"', 1)
    return Markup(re.sub(r"\s*\n\s*", " ", text))
