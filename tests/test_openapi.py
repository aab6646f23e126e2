"""openapi.yaml is generated from the code; the committed file must match it."""

from __future__ import annotations

from pathlib import Path

import yaml

from service import create_app

ROOT = Path(__file__).resolve().parent.parent


def test_committed_openapi_matches_the_code(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path)})
    generated = app.extensions["api"].spec.to_dict()
    committed = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert committed == generated, "openapi.yaml is stale: run `machikoe openapi write --format=yaml openapi.yaml`"


def test_openapi_documents_problem_answers_for_report_intake(tmp_path):
    spec = create_app({"DATA_DIR": str(tmp_path)}).extensions["api"].spec.to_dict()
    post = spec["paths"]["/api/v1/reports"]["post"]
    assert {"201", "400", "409", "413", "415", "422"} <= set(post["responses"])
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
