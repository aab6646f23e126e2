"""The ceiling of the intake benchmark: a bare Flask app that only saves an uploaded photo to disk.

``bench/intake_load.py`` serves it with the same gunicorn command and worker
count as the API, on the same URLs, and sends it the same multipart bodies:

- ``POST /api/v1/reports`` parses the multipart form, reads the ``photos``
  part and writes it with :class:`~service.storage.local.LocalPhotoStore`,
  the store the API writes originals with, so the disk work is the same: a
  temporary file in the target directory, ``fsync`` of the file, an atomic
  rename and ``fsync`` of the directory. The key is random (the API's is the
  photo's SHA-256, which the ceiling does not compute). Answers 201 with the
  key as ``id``.
- ``GET /api/v1/reports/<id>`` answers a fixed JSON document shaped like the
  API's public view of a new report (about 640 bytes), without reading anything.

The files go under ``bare/originals/`` in ``MACHIKOE_DATA_DIR``, in
directories named by the key's first two characters as the API's are.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, abort, request

from service.storage.local import LocalPhotoStore

REPORT = {
    "address": None,
    "address_approximate": False,
    "category": {"code": "road_damage", "name": "道路の損傷"},
    "created_at": "2024-05-01T10:20:30+09:00",
    "department": None,
    "description": "歩道に大きな穴があります",
    "duplicate_of": None,
    "history": [{"at": "2024-05-01T10:20:30+09:00", "kind": "created", "public_reply": None, "status": "received",
                 "status_label": "受付", "status_label_en": "Received", "status_label_ja": "受付"}],
    "id": "",
    "jurisdiction": "990019",
    "lat": 35.65,
    "lon": 139.8,
    "photos": [],
    "primary": None,
    "processing": "pending",
    "status": "received",
    "status_label": "受付",
    "updated_at": "2024-05-01T10:20:30+09:00",
    "ward": None,
}


def create_app() -> Flask:
    app = Flask(__name__)
    store = LocalPhotoStore(Path(os.environ["MACHIKOE_DATA_DIR"]) / "bare")

    @app.post("/api/v1/reports")
    def upload() -> tuple[dict[str, Any], int]:
        photo = request.files.get("photos")
        if photo is None:
            abort(422)
        key = uuid.uuid4().hex
        store.put(f"originals/{key[:2]}/{key}.jpg", photo.read(), "image/jpeg")
        return {"id": key}, 201

    @app.get("/api/v1/reports/<string:report_id>")
    def report(report_id: str) -> dict[str, Any]:
        return {**REPORT, "id": report_id}

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app


def not_modified(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The least a server can answer: a bare WSGI callable that answers every GET 304 (``/readyz`` 200).

    Served under the same gunicorn, it gives the server's own CPU for a request,
    which no application under it can go below.
    """
    if environ.get("PATH_INFO") == "/readyz":
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "15")])
        return [b'{"status":"ok"}']
    start_response("304 Not Modified", [("ETag", environ.get("HTTP_IF_NONE_MATCH", '"-"'))])
    return []
