"""OpenAPI 3 documents generated from the services' marshmallow schemas (apispec)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, jsonify
from marshmallow import Schema, fields

ERROR_RESPONSE = {"description": "Error", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}


class ErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    responses: dict[int, type[Schema] | Schema | None]
    body: type[Schema] | Schema | None = None
    query: type[Schema] | None = None
    errors: tuple[int, ...] = ()
    auth: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)


def build(title: str, version: str, operations: list[Operation],
          security_scheme: dict[str, Any] | None = None) -> dict[str, Any]:
    spec = APISpec(title=title, version=version, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.schema("Error", schema=Error)
    if security_scheme:
        spec.components.security_scheme("bearer", security_scheme)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {"summary": op.summary, "responses": {}}
        if op.tags:
            entry["tags"] = list(op.tags)
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": op.body}}}
        if op.query is not None:
            entry["parameters"] = [{"in": "query", "schema": op.query}]
        if "{" in op.path:
            entry.setdefault("parameters", [])
            for name in [p[1:-1] for p in op.path.split("/") if p.startswith("{")]:
                entry["parameters"].append(
                    {"in": "path", "name": name, "required": True,
                     "schema": {"type": "string", "format": "uuid"}})
        for status, schema in op.responses.items():
            if schema is None:
                entry["responses"][str(status)] = {"description": "No content"}
            else:
                entry["responses"][str(status)] = {"description": "OK", "content": {
                    "application/json": {"schema": schema}}}
        # Every operation may answer 503 (database unavailable, with Retry-After); every
        # operation with a JSON body may answer 400 (not JSON), 413, 415 and 422.
        statuses = set(op.errors) | {503}
        if op.body is not None:
            statuses |= {400, 413, 415, 422}
        for status in sorted(statuses):
            entry["responses"][str(status)] = ERROR_RESPONSE
        if op.auth:
            entry["security"] = [{"bearer": []}]
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    for path, methods in paths.items():
        spec.path(path=path, operations=methods)
    return spec.to_dict()


def blueprint(document: dict[str, Any]) -> Blueprint:
    """/openapi.json and a plain HTML page at /docs listing the operations."""
    bp = Blueprint("openapi", __name__)

    @bp.get("/openapi.json")
    def openapi_json():
        return jsonify(document)

    @bp.get("/docs")
    def docs():
        rows = []
        for path, methods in document["paths"].items():
            for method, op in methods.items():
                codes = ", ".join(sorted(op["responses"]))
                rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>"
                            f"{html.escape(path)}</code></td><td>{html.escape(op['summary'])}"
                            f"</td><td>{codes}</td></tr>")
        title = html.escape(document["info"]["title"])
        page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}"
                f"</title></head><body><h1>{title}</h1><p>Machine-readable document: "
                f"<a href='/openapi.json'>/openapi.json</a></p><table border='1'>"
                f"<tr><th>method</th><th>path</th><th>summary</th><th>responses</th></tr>"
                f"{''.join(rows)}</table></body></html>")
        return Response(page, mimetype="text/html",
                        headers={"Content-Security-Policy": "default-src 'none'"})

    return bp
