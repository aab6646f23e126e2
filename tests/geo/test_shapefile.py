"""Zipped Shapefiles: attributes in the encoding their .cpg names, and clear refusals."""

import io
import zipfile

import pytest

from service.geo.geojson_import import GeoJSONError, read_areas
from tests.shapefiles import zipped_shapefile

SQUARE = [[[140.10, 35.60], [140.11, 35.60], [140.11, 35.61], [140.10, 35.61], [140.10, 35.60]]]


def zipped(*, encoding="cp932", cpg: str | None = "SHIFT_JIS", parts=("shp", "shx", "dbf")) -> bytes:
    return zipped_shapefile("wards", ["NAME"], [(SQUARE, ["千葉県千葉市中央区"])],
                            encoding=encoding, cpg=cpg, parts=parts)


def test_shift_jis_attributes_are_read_through_the_cpg_file():
    (area,) = read_areas(zipped())
    assert area.name == "千葉県千葉市中央区" and area.geometry.area == pytest.approx(0.0001)


def test_without_a_cpg_file_utf8_then_shift_jis_is_tried():
    (area,) = read_areas(zipped(cpg=None))
    assert area.name == "千葉県千葉市中央区"


def test_a_zip_without_its_dbf_is_refused_by_name():
    with pytest.raises(GeoJSONError, match=r"without its \.dbf"):
        read_areas(zipped(parts=("shp", "shx")))


def test_a_zip_without_a_shapefile_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "no shapes here")
    with pytest.raises(GeoJSONError, match=r"no \.shp file"):
        read_areas(buffer.getvalue())
