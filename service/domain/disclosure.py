"""What the public may see of a report: one policy for every public surface.

The resident JSON views, the public list, Open311, open data and webhook bodies
that leave the municipality all take a report's place and words from here, so
they cannot disagree about them:

- coordinates are rounded to a number of decimals (a setting; 4 is about 10 m),
  so a public point never leads to one house;
- the address stops at the block (丁目): prefecture, municipality, ward, 町 and
  丁目, never the house number, and nothing at all when the geocoder gave no
  parts (a bare display name may hold anything);
- text residents or staff wrote goes out through :func:`public_text`, the one
  place where personal data in free text is to be masked; a report's
  description and its public replies are masked once, when written, and the
  stored copy is read (:func:`disclose_report`, :func:`public_reply`).

Staff and the reporter's own view (opened with its tracking token) are not
public and read the stored record instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from service.models import HistoryEntry, Report
from service.privacy.stored_masks import masked, public_copy

# The parts of an address that name an area rather than a building, widest first.
BLOCK_PARTS = ("prefecture", "city", "ward", "district", "block")


@dataclass(frozen=True)
class Disclosed:
    """The place and words of a report as a view shows them: from :func:`disclose` in public, as stored in private."""

    lat: float
    lon: float
    address: str | None
    description: str


def disclose(*, lat: float, lon: float, address_parts: Mapping[str, str] | None, description: str | None,
             processed: bool, decimals: int) -> Disclosed:
    """The public form of a report's fields; the address only once processing has placed the report."""
    return Disclosed(lat=public_coordinate(lat, decimals), lon=public_coordinate(lon, decimals),
                     address=public_address(address_parts) if processed else None,
                     description=public_text(description) or "")


def disclose_report(report: Report, decimals: int) -> Disclosed:
    """:func:`disclose` for a report object, with the description masked when it was written."""
    shown = disclose(lat=report.lat, lon=report.lon, address_parts=report.address_parts, description=None,
                     processed=report.processing_state == "done", decimals=decimals)
    return replace(shown, description=public_copy(report.description, report.description_public) or "")


def public_reply(entry: HistoryEntry, language: str | None = None) -> str | None:
    """A history entry's public reply as the public reads it, masked when it was written.

    A reply sent unedited from a response template is read in ``language`` when
    the template had it (its texts are the jurisdiction's, free of personal data).
    """
    if language is not None and (translated := (entry.reply_translations or {}).get(language)):
        return translated
    return public_copy(entry.public_reply, entry.public_reply_public)


def public_coordinate(value: float, decimals: int) -> float:
    return round(value, decimals)


def public_address(parts: Mapping[str, str] | None) -> str | None:
    """The address down to the block (丁目), or None when no part of it is known."""
    if not parts:
        return None
    return "".join(parts[key] for key in BLOCK_PARTS if parts.get(key)) or None


def public_text(text: str | None) -> str | None:
    """Free text (a description, a public reply) as the public may read it.

    Moderators redact a report's description in place; on top of that, the
    personal data residents type (e-mail addresses, telephone numbers,
    マイナンバー, licence plates, house numbers) is masked here, so every public
    surface gets it at once. Staff and the reporter see the text as written.
    """
    return masked(text)


def public_range(low: float, high: float, decimals: int) -> tuple[float, float]:
    """The stored values whose public (rounded) value lies in [low, high].

    A filter by area on the stored coordinates would let anyone narrow a
    report's position far below the public precision by shrinking the box; a
    filter on this range answers only what the rounded coordinates tell.
    """
    step = 10.0 ** -decimals
    return math.ceil(round(low / step, 6)) * step - step / 2, math.floor(round(high / step, 6)) * step + step / 2
