"""Picking one municipality's features out of a boundary file.

国土数値情報 N03 files come per prefecture, and per-municipality files derived
from them name every polygon in full. `select_municipality` keeps the areas of
the municipality a local government code names, and says what that
municipality is called, from the file itself.

A designated city (政令指定都市) has no feature of its own code in N03: its
wards carry codes just above it (千葉市 12100, 中央区 12101 … 美浜区 12106;
大阪市 27100, 都島区 27102 …) and the city's name in N03_003. The first code
above the city's names the city; the wards are those within 29 codes of it that
carry the same N03_003, so that 川崎市 (14130) never takes 相模原市's wards (14151 …).
"""

from __future__ import annotations

from dataclasses import dataclass

from service.geo.geojson_import import ImportedArea, is_n03, n03_name_parts
from service.geo.names import split_place_name

WARD_CODE_SPAN = 29


@dataclass(frozen=True)
class Municipality:
    """The municipality's name parts (prefecture, county, city), its areas, and how many areas were left out."""

    name_parts: tuple[str, ...]
    areas: list[ImportedArea]
    left_out: int


def select_municipality(areas: list[ImportedArea], code5: str, name_ja: str | None = None) -> Municipality | None:
    """The areas of the municipality with five-digit code `code5`, or None when the file has none of them.

    N03 files are filtered by N03_007 (and N03_003 for a designated city's
    wards). Other files are filtered by name when `name_ja` is given and some
    names carry it; a file with bare names (中央区, 緑区) is kept whole. The
    parts of a file without N03 properties are what its names have in common.
    """
    n03 = [a for a in areas if is_n03(a.properties) and a.code]
    if n03:
        return _from_n03(areas, n03, code5)
    kept = list(areas)
    if name_ja:
        named = [a for a in areas if name_ja in split_place_name(a.name)]
        kept = named or kept
    common = _common_prefix([split_place_name(a.name) for a in kept])
    return Municipality(name_parts=common, areas=kept, left_out=len(areas) - len(kept))


def _code(area: ImportedArea) -> str:
    # Only N03 areas that carry a code are passed to _from_n03.
    if area.code is None:
        raise ValueError(f"N03 area {area.name!r} has no code")
    return area.code


def _from_n03(areas: list[ImportedArea], n03: list[ImportedArea], code5: str) -> Municipality | None:
    own = [a for a in n03 if a.code == code5]
    if own:
        return Municipality(name_parts=n03_name_parts(own[0].properties), areas=own, left_out=len(areas) - len(own))
    city = int(code5)
    nearby = sorted((a for a in n03 if _code(a).isdigit() and city < int(_code(a)) <= city + WARD_CODE_SPAN),
                    key=_code)
    if not nearby:
        return None
    city_name = nearby[0].properties.get("N03_003")
    wards = [a for a in nearby if a.properties.get("N03_003") == city_name]
    prefecture = wards[0].properties.get("N03_001")
    parts = tuple(p for p in (prefecture, city_name) if p)
    return Municipality(name_parts=parts, areas=wards, left_out=len(areas) - len(wards))


def _common_prefix(parts: list[tuple[str, ...]]) -> tuple[str, ...]:
    if not parts:
        return ()
    common = list(parts[0])
    for other in parts[1:]:
        length = 0
        while length < min(len(common), len(other)) and common[length] == other[length]:
            length += 1
        common = common[:length]
    return tuple(common)
