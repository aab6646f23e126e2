"""The parts of a Japanese municipal name: prefecture, county (郡), city, ward.

Files derived from 国土数値情報 often keep one `name` property that runs the
parts together ("千葉県千葉市中央区", "千葉県印旛郡酒々井町"). `split_place_name`
takes such a name apart, and `join_once` puts a jurisdiction's parts and an
area's parts together without writing a part twice, so that an address reads
"千葉県千葉市中央区" and never "千葉県千葉市千葉県千葉市中央区".
"""

from __future__ import annotations

from collections.abc import Iterable

from service.geocoding.compose import PREFECTURES_BY_ISO_CODE

PREFECTURES = tuple(PREFECTURES_BY_ISO_CODE.values())


def split_place_name(name: str) -> tuple[str, ...]:
    """Split a name into its prefecture, county, city and ward, widest first.

    Only what is certain is split off: a leading prefecture's name, a county
    (…郡) before a town or village (…町, …村), and a designated city (…市) before
    its ward (…区). "大和郡山市" and "四日市市" stay whole. A name with none of
    these is returned as one part; the empty name gives no parts. Never raises.
    """
    rest = name.strip()
    parts: list[str] = []
    prefecture = next((p for p in PREFECTURES if rest.startswith(p) and len(rest) > len(p)), None)
    if prefecture is not None:
        parts.append(prefecture)
        rest = rest[len(prefecture):]
    if rest.endswith(("町", "村")) and "市" not in rest:
        county_end = rest.find("郡")
        if 0 < county_end < len(rest) - 2:
            parts.append(rest[: county_end + 1])
            rest = rest[county_end + 1 :]
    elif rest.endswith("区"):
        city_end = rest.rfind("市", 0, len(rest) - 1)
        if 0 < city_end < len(rest) - 2:
            parts.append(rest[: city_end + 1])
            rest = rest[city_end + 1 :]
    if rest:
        parts.append(rest)
    return tuple(parts)


def join_once(outer: Iterable[str | None], inner: Iterable[str | None]) -> tuple[str, ...]:
    """The outer parts followed by the inner ones that are not among them already.

    `join_once(("千葉県", "千葉市"), ("千葉県", "千葉市", "中央区"))` and
    `join_once(("千葉県", "千葉市"), ("中央区",))` both give
    ("千葉県", "千葉市", "中央区"). Empty parts are dropped.
    """
    joined = [part for part in outer if part]
    for part in inner:
        if part and part not in joined:
            joined.append(part)
    return tuple(joined)
