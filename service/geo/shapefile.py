"""Reading a zipped Shapefile (older 国土数値情報 editions, municipal GIS exports).

Shapefiles from Japanese sources usually store their attributes in Shift_JIS
(cp932) and say so in a `.cpg` file beside the `.dbf`; without one, UTF-8 is
tried and then cp932. `features_from_zip` returns GeoJSON-like features, so the
same reader as for GeoJSON files applies. Errors are :class:`ShapefileError`.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import shapefile

# Names a .cpg file uses for the encodings Japanese data comes in.
_CODE_PAGES = {"shift_jis": "cp932", "sjis": "cp932", "shift-jis": "cp932", "932": "cp932", "cp932": "cp932",
               "utf-8": "utf-8", "utf8": "utf-8", "65001": "utf-8"}
# pyshp reports an attribute it cannot decode in the encoding asked for with this exception.
_DecodeFailure = getattr(shapefile, "dbfFileException", UnicodeDecodeError)
# A zip holding a shapefile is small next to this; the bound stops a zip bomb.
MAX_UNPACKED_BYTES = 1 << 30


class ShapefileError(ValueError):
    """The zip holds no usable Shapefile; the message says why."""


def features_from_zip(data: bytes) -> list[dict[str, Any]]:
    """The features of the one Shapefile in a zip archive, with their attributes as properties."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ShapefileError(f"not a zip archive: {exc}") from None
    with archive:
        members = {info.filename.lower(): info for info in archive.infolist() if not info.is_dir()}
        if sum(info.file_size for info in members.values()) > MAX_UNPACKED_BYTES:
            raise ShapefileError("the zip archive unpacks to more than 1 GiB")
        shp_names = sorted(name for name in members if name.endswith(".shp"))
        if len(shp_names) != 1:
            found = "no .shp file" if not shp_names else f"{len(shp_names)} .shp files ({', '.join(shp_names)})"
            raise ShapefileError(f"a zipped Shapefile needs exactly one .shp file; this zip holds {found}")
        stem = shp_names[0][: -len(".shp")]
        missing = [ext for ext in (".dbf", ".shx") if stem + ext not in members]
        if missing:
            raise ShapefileError(f"the Shapefile {stem}.shp comes without its {' and '.join(missing)} file")

        def read(ext: str) -> bytes:
            return archive.read(members[stem + ext])

        cpg = read(".cpg").decode("ascii", "replace").strip().lower() if stem + ".cpg" in members else None
        encodings = [_CODE_PAGES.get(cpg, cpg)] if cpg else ["utf-8", "cp932"]
        for encoding in encodings:
            try:
                return _features(read(".shp"), read(".shx"), read(".dbf"), encoding)
            except (UnicodeDecodeError, _DecodeFailure):
                continue
            except LookupError:
                raise ShapefileError(f"the .cpg file names an unknown encoding {cpg!r}") from None
        raise ShapefileError("the attributes are neither UTF-8 nor Shift_JIS; add a .cpg file naming their encoding")


def _features(shp: bytes, shx: bytes, dbf: bytes, encoding: str) -> list[dict[str, Any]]:
    try:
        reader = shapefile.Reader(shp=io.BytesIO(shp), shx=io.BytesIO(shx), dbf=io.BytesIO(dbf), encoding=encoding)
    except shapefile.ShapefileException as exc:
        raise ShapefileError(f"not a readable Shapefile: {exc}") from None
    features = []
    for record in reader.iterShapeRecords():
        # The GeoJSON reader expects lists, as json.loads gives, where pyshp gives tuples.
        geometry = json.loads(json.dumps(record.shape.__geo_interface__)) if record.shape.shapeType != shapefile.NULL else None
        features.append({"type": "Feature", "properties": record.record.as_dict(), "geometry": geometry})
    return features
