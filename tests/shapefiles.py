"""Zipped Shapefiles for tests, written the way municipal GIS exports them.

pyshp writes into buffers this module owns and closes: given file names,
pyshp 3.1 leaves the .dbf open (a ResourceWarning pytest reports in whichever
test the collector runs next).
"""

import io
import zipfile
from collections.abc import Iterable, Sequence

import shapefile

Ring = Sequence[Sequence[float]]


def zipped_shapefile(name: str, fields: Sequence[str], rows: Iterable[tuple[Sequence[Ring], Sequence[str]]], *,
                     encoding: str = "cp932", cpg: str | None = "SHIFT_JIS",
                     parts: Sequence[str] = ("shp", "shx", "dbf")) -> bytes:
    """A zip of `name`.shp/.shx/.dbf (and .cpg when given) holding one polygon per row,
    its attributes `fields` (text, 40 characters) written in `encoding`."""
    files = {ext: io.BytesIO() for ext in ("shp", "shx", "dbf")}
    writer = shapefile.Writer(shp=files["shp"], shx=files["shx"], dbf=files["dbf"],
                              shapeType=shapefile.POLYGON, encoding=encoding)
    for field in fields:
        writer.field(field, "C", size=40)
    for rings, values in rows:
        writer.poly([list(map(list, ring)) for ring in rings])
        writer.record(*values)
    writer.close()
    contents = {ext: buffer.getvalue() for ext, buffer in files.items()}
    if cpg is not None:
        contents["cpg"] = cpg.encode("ascii")
        parts = (*parts, "cpg")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        for ext in parts:
            bundle.writestr(f"{name}.{ext}", contents[ext])
    return archive.getvalue()
