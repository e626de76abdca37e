"""One access-log line and one histogram sample per request, under the caller's
correlation id (X-Correlation-ID or a W3C traceparent), with the client masked."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from prometheus_client import REGISTRY

from shared.config import trusted_networks
from shared.logs import MaskingFilter, correlation_from_headers
from shared.web import access

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def app():
    app = Flask(__name__)
    access.instrument(app, service="test-access", trusted_proxies=trusted_networks(["10.0.0.0/8"]))

    @app.get("/things/<int:number>")
    def thing(number):
        return {"number": number}

    return app


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="access")
    masking = MaskingFilter()  # as every process's log handler has it (shared.logs)
    caplog.handler.addFilter(masking)
    yield lambda: [r for r in caplog.records if r.name == "access"]
    caplog.handler.removeFilter(masking)


def test_each_request_writes_one_access_line_with_route_status_duration_and_masked_client(
        app, lines):
    response = app.test_client().get(
        "/things/7", headers={"X-Forwarded-For": "203.0.113.77"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"})

    (line,) = lines()
    assert (line.getMessage(), line.method, line.route, line.status) == (
        "request", "GET", "/things/<int:number>", 200)
    assert line.client == "203.0.113.0/24"
    assert line.duration_ms >= 0
    assert line.correlation_id == response.headers["X-Correlation-ID"]


def test_requests_are_counted_and_timed_by_route_and_status(app):
    def count(status):
        return REGISTRY.get_sample_value(
            "http_request_duration_seconds_count",
            {"service": "test-access", "route": "/things/<int:number>", "method": "GET",
             "status": status}) or 0

    before = count("200")
    app.test_client().get("/things/1")
    app.test_client().get("/things/2")
    assert count("200") == before + 2
    app.test_client().get("/nothing")
    assert REGISTRY.get_sample_value(
        "http_request_duration_seconds_count",
        {"service": "test-access", "route": "unmatched", "method": "GET", "status": "404"}) >= 1


def test_the_callers_correlation_id_or_traceparent_is_kept_and_answered(app, lines):
    client = app.test_client()
    given = client.get("/things/1", headers={"X-Correlation-ID": "portal-abc-123"})
    traced = client.get("/things/1", headers={"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})
    made = client.get("/things/1")

    assert given.headers["X-Correlation-ID"] == "portal-abc-123"
    assert traced.headers["X-Correlation-ID"] == TRACE
    assert len(made.headers["X-Correlation-ID"]) == 36
    assert [line.correlation_id for line in lines()] == [
        "portal-abc-123", TRACE, made.headers["X-Correlation-ID"]]


@pytest.mark.parametrize("headers", [
    {"X-Correlation-ID": "x\r\nforged: line"},
    {"X-Correlation-ID": "a" * 101},
    {"X-Correlation-ID": "<script>"},
    {"traceparent": "00-" + "0" * 32 + "-00f067aa0ba902b7-01"},
    {"traceparent": "00-xyz-00f067aa0ba902b7-01"},
    {},
])
def test_a_malformed_correlation_id_is_replaced_by_a_new_one(headers):
    assert correlation_from_headers(headers) is None


def test_the_access_line_is_one_json_object(app, capsys):
    from shared.logs import configure

    configure("test-access")
    try:
        app.test_client().get("/things/3", headers={"X-Correlation-ID": "cid-1"})
        err = capsys.readouterr().err.strip().splitlines()
        line = json.loads(next(entry for entry in err if '"request"' in entry))
    finally:
        logging.getLogger().handlers[:] = []
    assert {key: line[key] for key in ("message", "route", "status", "correlation_id",
                                        "service")} == {
        "message": "request", "route": "/things/<int:number>", "status": 200,
        "correlation_id": "cid-1", "service": "test-access"}


def test_an_error_answer_names_its_code_in_the_one_access_line(lines):
    from shared.errors import Refused
    from shared.web import install
    from shared.web.errors import ApiError
    from shared.web.messages import Messages

    app = Flask(__name__)
    install(app, service="test-access", messages=Messages({}, {}), readiness={},
            refusals={"IDENTITY_MISMATCH": 400})

    @app.post("/refused")
    def refused():
        raise Refused("IDENTITY_MISMATCH")

    @app.post("/invalid")
    def invalid():
        raise ApiError(422, "VALIDATION_FAILED", {"email": ["Not a valid email address."]})

    client = app.test_client()
    assert client.post("/refused").status_code == 400
    assert client.post("/invalid").status_code == 422
    assert client.get("/healthz").status_code == 200
    refused_line, invalid_line, fine_line = lines()
    assert (refused_line.status, refused_line.error_code) == (400, "IDENTITY_MISMATCH")
    assert (invalid_line.status, invalid_line.error_code) == (422, "VALIDATION_FAILED")
    assert not hasattr(fine_line, "error_code")
