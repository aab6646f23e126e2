"""The report form's place in a phone's browser: an address search as the resident types,
chosen with the keyboard, from the city's own areas and from a Nominatim on 127.0.0.1;
and a photo's own GPS position offered, without that position leaving in the photo."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask import Flask
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from pytest_httpserver import HTTPServer
from shapely.geometry import box, mapping
from sqlalchemy import select

from service.extensions import db
from service.models import Area, Jurisdiction, Report
from service.pipeline import pipeline_for
from tests.conftest import INSIDE
from tests.web.resident.conftest import on_one_database
from tests.worker import processed_by_worker

pytestmark = [pytest.mark.browser, on_one_database]

# Two 町丁目 of the demo city's 南区, as an import of district polygons would add them.
HONCHO_1 = (139.77, 35.625, 139.78, 35.63)
HONCHO_2 = (139.80, 35.625, 139.81, 35.63)
# Where the photo was taken: inside 北区, about 2.3 km north of the phone's position.
TAKEN_AT = (35.6705, 139.7802)
GPS_IFD = 0x8825


@pytest.fixture()
def districts(app: Flask) -> None:
    city = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "990019"))
    for name, bounds in (("本町一丁目", HONCHO_1), ("本町二丁目", HONCHO_2)):
        db.session.add(Area(jurisdiction_id=city.id, layer="district", code=name, name_ja=name, name_en=name,
                            geometry=mapping(box(*bounds))))
    db.session.commit()


def _report(public_id: str) -> Report:
    db.session.expire_all()
    return db.session.scalar(select(Report).where(Report.public_id == public_id))


def _processed(app: Flask, public_id: str) -> Report:
    """The report after the worker's processing (geocoding, routing), run here as a worker runs it."""
    assert processed_by_worker(db.session(), _report(public_id).id, pipeline_for(app))
    return _report(public_id)


def _open_form(phone, live_server: str):
    page = phone()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A failed load is listed with its address (the console's message names none), so the browser's own
    # favicon request can be told apart from the page's.
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}") if response.status >= 400 else None)
    page.goto(live_server + "/?jurisdiction=990019")
    return page, errors


def _options(page) -> list[str]:
    return page.get_by_role("listbox", name="住所の候補").get_by_role("option").all_inner_texts()


def test_a_chome_name_typed_in_part_and_chosen_with_the_keyboard_places_the_report_there(
        app, districts, phone, live_server, screenshot, axe):
    page, errors = _open_form(phone, live_server)
    page.locator("#category-road_damage").check()
    field = page.get_by_role("combobox", name="住所や目印")
    assert field.get_attribute("aria-expanded") == "false"
    field.focus()
    page.keyboard.type("本町")
    listbox = page.get_by_role("listbox", name="住所の候補")
    listbox.wait_for()
    assert _options(page) == ["みなと市本町一丁目", "みなと市本町二丁目"]
    assert field.get_attribute("aria-expanded") == "true"
    # The result is announced to a screen reader.
    assert page.locator("#place-status").inner_text() == "候補が2件あります。"

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    second = page.get_by_role("option", name="みなと市本町二丁目")
    assert second.get_attribute("aria-selected") == "true"
    assert field.get_attribute("aria-activedescendant") == second.get_attribute("id")
    screenshot(page, "suggestions")
    assert axe(page) == []

    # Enter chooses the place, and does not send the form.
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('lat').value !== ''")
    assert "/sent" not in page.url
    assert field.input_value() == "みなと市本町二丁目"
    assert listbox.is_hidden() and field.get_attribute("aria-expanded") == "false"
    lat, lon = float(page.locator("#lat").input_value()), float(page.locator("#lon").input_value())
    west, south, east, north = HONCHO_2
    assert south <= lat <= north and west <= lon <= east
    assert page.locator(".leaflet-marker-icon").is_visible()
    page.locator("#place-status").filter(has_text="「みなと市本町二丁目」に地図のピンを動かしました。").wait_for()
    screenshot(page, "chosen")
    assert axe(page) == []

    # Escape closes the list without choosing.
    field.fill("")
    page.keyboard.type("北")
    listbox.wait_for()
    assert _options(page) == ["みなと市北区"]
    page.keyboard.press("Escape")
    assert listbox.is_hidden() and field.get_attribute("aria-expanded") == "false"
    assert float(page.locator("#lat").input_value()) == lat
    field.fill("みなと市本町二丁目")

    page.locator("#description").fill("本町二丁目の交差点に穴があります")
    page.get_by_role("button", name="送信する").click()
    page.wait_for_url("**/sent")
    report = _processed(app, page.url.split("/")[-2])
    assert south <= report.lat <= north and west <= report.lon <= east
    # Processing placed it in that 町丁目 (the offline geocoder, from the same areas).
    assert "本町二丁目" in (report.address or "")
    assert report.department.code == "road"
    assert [e for e in errors if "favicon" not in e] == []


@pytest.fixture()
def nominatim_search(app: Flask) -> Iterator[HTTPServer]:
    """A Nominatim stand-in on 127.0.0.1, configured for the place search of the served app for this test."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    saved = {key: app.config[key] for key in ("GEOCODER", "NOMINATIM_DOMAIN", "NOMINATIM_SCHEME", "NOMINATIM_MIN_DELAY")}
    app.config.update(GEOCODER="nominatim", NOMINATIM_DOMAIN=f"127.0.0.1:{server.port}", NOMINATIM_SCHEME="http",
                      NOMINATIM_MIN_DELAY=0.0)
    for built in ("place_search", "geocode_cache"):
        app.extensions.pop(built, None)
    yield server
    app.config.update(saved)
    for built in ("place_search", "geocode_cache"):
        app.extensions.pop(built, None)
    server.clear()
    server.stop()


def test_with_nominatim_configured_its_places_inside_the_city_are_suggested(nominatim_search, phone, live_server,
                                                                             screenshot, axe):
    nominatim_search.expect_request("/search").respond_with_json([
        {"lat": "35.651", "lon": "139.791", "display_name": "港町, 中央区, みなと市, 日本",
         "address": {"quarter": "港町", "suburb": "中央区", "city": "みなと市", "country_code": "jp"}},
    ])
    page, errors = _open_form(phone, live_server)
    field = page.get_by_role("combobox", name="住所や目印")
    field.focus()
    page.keyboard.type("港町")
    page.get_by_role("listbox", name="住所の候補").wait_for()
    assert _options(page) == ["みなと市中央区港町"]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('lat').value !== ''")
    assert (float(page.locator("#lat").input_value()), float(page.locator("#lon").input_value())) == (35.651, 139.791)
    screenshot(page, "nominatim")
    assert axe(page) == []
    request = nominatim_search.log[-1][0]
    assert request.args["q"] == "港町" and request.args["bounded"] == "1"
    assert [e for e in errors if "favicon" not in e] == []


def _photo_with_gps(lat: float, lon: float) -> bytes:
    def dms(value: float) -> tuple[IFDRational, ...]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = ((value - degrees) * 60 - minutes) * 60
        return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(round(seconds * 10000), 10000)

    exif = Image.Exif()
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (90, 120, 160)).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def test_a_photo_with_gps_offers_where_it_was_taken_and_its_position_is_not_sent_in_the_photo(
        app, phone, live_server, screenshot, axe, tmp_path):
    photo = tmp_path / "taken.jpg"
    photo.write_bytes(_photo_with_gps(*TAKEN_AT))
    page, errors = _open_form(phone, live_server)
    page.locator("#category-road_damage").check()
    page.get_by_role("button", name="現在地を使う").click()
    page.wait_for_function("() => document.getElementById('lat').value !== ''")
    assert abs(float(page.locator("#lat").input_value()) - INSIDE["lat"]) < 1e-6

    page.locator("#photos").set_input_files(str(photo))
    use = page.get_by_role("button", name="写真の撮影場所を使う")
    use.wait_for()
    assert page.locator("#photo-place-text").inner_text() == "写真の撮影場所は、今のピンから約2.3 km離れています。"
    screenshot(page, "offered")
    assert axe(page) == []
    use.click()
    page.locator("#photo-place-text").filter(has_text="写真の撮影場所に地図のピンを動かしました。").wait_for()
    lat, lon = float(page.locator("#lat").input_value()), float(page.locator("#lon").input_value())
    assert abs(lat - TAKEN_AT[0]) < 1e-5 and abs(lon - TAKEN_AT[1]) < 1e-5
    screenshot(page, "moved")

    page.locator("#description").fill("写真の場所の歩道に穴")
    page.get_by_role("button", name="送信する").click()
    page.wait_for_url("**/sent")
    report = _processed(app, page.url.split("/")[-2])
    assert abs(report.lat - TAKEN_AT[0]) < 1e-5 and "北区" in (report.address or "")
    # Even the private original the server keeps carries no GPS: only the chosen coordinates were sent.
    original = app.extensions["photo_store"].get(report.photos[0].original_key)
    assert not Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    assert [e for e in errors if "favicon" not in e] == []


def test_a_photo_without_gps_offers_nothing(phone, live_server, tmp_path):
    photo = tmp_path / "plain.jpg"
    Image.new("RGB", (640, 480), (200, 80, 60)).save(photo, "JPEG")
    page, _ = _open_form(phone, live_server)
    page.locator("#photos").set_input_files(str(photo))
    # The library loads and reads the photo; the offer stays hidden.
    page.wait_for_function("() => window.exifr !== undefined")
    page.wait_for_timeout(300)
    assert page.get_by_role("button", name="写真の撮影場所を使う").is_hidden()
