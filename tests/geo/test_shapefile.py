"""Zipped Shapefiles: attributes in the encoding their .cpg names, and clear refusals."""

import io
import zipfile

import pytest
import shapefile

from service.geo.geojson_import import GeoJSONError, read_areas

SQUARE = [[[140.10, 35.60], [140.11, 35.60], [140.11, 35.61], [140.10, 35.61], [140.10, 35.60]]]


def zipped(tmp_path, *, encoding="cp932", cpg: str | None = "SHIFT_JIS", parts=("shp", "shx", "dbf")) -> bytes:
    stem = tmp_path / "wards"
    with shapefile.Writer(str(stem), shapeType=shapefile.POLYGON, encoding=encoding) as writer:
        writer.field("NAME", "C", size=40)
        writer.poly(SQUARE)
        writer.record("千葉県千葉市中央区")
    if cpg is not None:
        (tmp_path / "wards.cpg").write_text(cpg, encoding="ascii")
        parts = (*parts, "cpg")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for ext in parts:
            archive.write(f"{stem}.{ext}", f"wards.{ext}")
    return buffer.getvalue()


def test_shift_jis_attributes_are_read_through_the_cpg_file(tmp_path):
    (area,) = read_areas(zipped(tmp_path))
    assert area.name == "千葉県千葉市中央区" and area.geometry.area == pytest.approx(0.0001)


def test_without_a_cpg_file_utf8_then_shift_jis_is_tried(tmp_path):
    (area,) = read_areas(zipped(tmp_path, cpg=None))
    assert area.name == "千葉県千葉市中央区"


def test_a_zip_without_its_dbf_is_refused_by_name(tmp_path):
    with pytest.raises(GeoJSONError, match=r"without its \.dbf"):
        read_areas(zipped(tmp_path, parts=("shp", "shx")))


def test_a_zip_without_a_shapefile_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "no shapes here")
    with pytest.raises(GeoJSONError, match=r"no \.shp file"):
        read_areas(buffer.getvalue())
