"""A third-party Open311 client (the `georeport` package from PyPI) reads this endpoint, in JSON and XML."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.open311.conftest import created_id

georeport = pytest.importorskip("georeport")


@pytest.fixture()
def live_url(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/open311/v2"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_services_definitions_and_requests(client, api_key: str, live_url: str,
                                                                  fmt: str) -> None:
    public_id = created_id(client, api_key)
    reader = georeport.GeoReport(live_url, jurisdiction="990019", output_format=fmt)
    services = reader.get_service_list()
    assert "road_damage" in [s["service_code"] for s in services]
    definition = reader.get_service_definition("road_damage")
    assert "lane_blocked" in str(definition)
    requests = reader.get_service_requests(service_code="road_damage", status="open")
    requests = requests if isinstance(requests, list) else [requests]
    assert [r["service_request_id"] for r in requests] == [public_id]
    assert reader.get_service_request(public_id)["service_request_id"] == public_id
