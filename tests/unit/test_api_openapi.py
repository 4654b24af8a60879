"""The checked-in OpenAPI document matches the code, and documents every view of the worker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.api.openapi import OPENAPI_PATH, ROUTES, generate, render
from service.bootstrap import create_app
from service.config import Settings


def test_committed_document_is_what_the_code_generates():
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render(), (
        "service/api/openapi.json is stale: run python -m service.api.openapi"
    )


def test_every_registered_view_is_documented_and_nothing_else(tmp_path: Path):
    app = create_app(Settings(data_dir=tmp_path))
    registered = set(app.web.views)
    documented = set(generate()["paths"])
    assert registered == documented
    assert [r.path for r in ROUTES] == list(generate()["paths"])


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_document_is_openapi_3_1_and_every_reference_resolves():
    doc = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    assert doc["openapi"] == "3.1.0"
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref
    for path, item in doc["paths"].items():
        op = item["get"]
        assert "200" in op["responses"], path
        params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert params == {seg.strip("{}") for seg in path.split("/") if seg.startswith("{")}, path
    assert set(doc["paths"]["/ready"]["get"]["responses"]) == {"200", "503"}
    assert "404" in doc["paths"]["/relationships/{dyad}"]["get"]["responses"]
