"""Issue 13 items 6 and 7: strict JSON input. A lone surrogate (valid JSON text, not valid
Unicode) is refused with 422 naming the field, before any schema or database sees it; a
streamed (chunked) body is held to the same size limit as a declared one."""

import io
import json

import pytest
from flask import Flask, request
from marshmallow import Schema, fields
from werkzeug.test import EnvironBuilder, run_wsgi_app

from shared.errors import Refused
from shared.web import install
from shared.web.errors import ApiError
from shared.web.inputs import load_json
from shared.web.messages import Messages


class Login(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True)


class Anything(Schema):
    class Meta:
        unknown = "include"


def load(raw: str, schema=None):
    app = Flask(__name__)
    with app.test_request_context(data=raw.encode("ascii"), content_type="application/json"):
        return load_json(schema or Login())


def refused_fields(raw: str, schema=None) -> dict:
    with pytest.raises(ApiError) as refused:
        load(raw, schema)
    assert (refused.value.status, refused.value.code) == (422, "VALIDATION_FAILED")
    return refused.value.fields


def test_item6_a_lone_surrogate_in_a_value_is_refused_naming_the_field():
    assert refused_fields('{"email": "\\ud800@example.jp", "password": "x"}') == {
        "email": ["Not valid Unicode."]}
    assert set(refused_fields('{"email": "a@example.jp", "password": "pass\\udfffword1!"}')) == {
        "password"}
    assert set(refused_fields('{"email": "\\udc80", "password": "\\ud83d"}')) == {
        "email", "password"}


def test_item6_surrogates_are_found_in_nested_objects_lists_and_keys():
    anything = Anything()
    assert set(refused_fields('{"a": {"b": ["ok", "\\ud800"]}}', anything)) == {"a.b"}
    found = refused_fields('{"\\ud800key": "value"}', anything)
    assert list(found) == ["\\ud800key"]  # the name itself printable, escaped
    json.dumps(found, ensure_ascii=False).encode("utf-8")  # the answer can be sent


def test_item6_a_surrogate_pair_is_one_character_and_is_accepted():
    assert load('{"email": "\\ud83d\\ude00@example.jp", "password": "x"}')["email"] == \
        "\U0001f600@example.jp"


def test_item6_the_refusal_reads_in_japanese_and_english():
    app = Flask(__name__)
    install(app, service="test", messages=Messages(), readiness={})

    @app.post("/login")
    def login():
        return load_json(Login())

    client = app.test_client()
    raw = b'{"email": "\\ud800@example.jp", "password": "x"}'
    ja = client.post("/login", data=raw, content_type="application/json")
    en = client.post("/login", data=raw, content_type="application/json",
                     headers={"Accept-Language": "en"})
    assert ja.status_code == en.status_code == 422
    assert ja.get_json()["error"]["fields"] == {"email": ["使用できない文字（単独のサロゲート）が含まれています。"]}
    assert en.get_json()["error"]["fields"] == {"email": ["Contains an invalid character (a lone surrogate)."]}


class Dechunked(io.RawIOBase):
    """A server's de-chunked input: each read returns at most one 1,000-byte chunk."""

    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        piece = self.data.read(min(len(buffer), 1000))
        buffer[:len(piece)] = piece
        return len(piece)


def chunked_app():
    app = Flask(__name__)
    install(app, service="test", messages=Messages(), readiness={}, max_body_bytes=16 * 1024)

    @app.post("/echo")
    def echo():
        return {"length": len(request.get_data())}

    return app


def post_chunked(app, data: bytes) -> tuple[int, dict]:
    """What a WSGI server passes on for `Transfer-Encoding: chunked`: no length, a stream
    it terminates itself (`wsgi.input_terminated`)."""
    environ = EnvironBuilder(path="/echo", method="POST",
                             content_type="application/json").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": Dechunked(data), "wsgi.input_terminated": True})
    body, status, _headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), json.loads(b"".join(body))


def test_item7_a_streamed_body_over_the_limit_is_413_not_cut():
    app = chunked_app()
    for size in (16 * 1024 + 1, 100 * 1024):
        status, answer = post_chunked(app, b" " * size)
        assert (status, answer["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")


def test_item7_a_streamed_body_within_the_limit_is_read_whole_however_it_arrives():
    app = chunked_app()
    for size in (0, 1, 999, 1001, 16 * 1024):
        assert post_chunked(app, b"x" * size) == (200, {"length": size})


def test_a_refusals_details_are_members_of_the_error_object_and_cannot_replace_its_code():
    app = Flask(__name__)
    install(app, service="test", messages=Messages(), readiness={},
            refusals={"AUTH_KEY_MISMATCH": 400})

    @app.post("/key")
    def key():
        raise Refused("AUTH_KEY_MISMATCH", details={"attempts_left": 3, "code": "OTHER"})

    answer = app.test_client().post("/key")
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "AUTH_KEY_MISMATCH"
    assert error["attempts_left"] == 3


def test_a_schema_is_made_once_per_thread_and_settings():
    import threading

    from shared.web.inputs import schema

    class Dated(Schema):
        def __init__(self, *, today, **kwargs):
            super().__init__(**kwargs)
            self.today = today

    first = schema(Dated, today="2026-04-01")
    assert schema(Dated, today="2026-04-01") is first
    assert schema(Login) is schema(Login) and schema(Login) is not first
    next_day = schema(Dated, today="2026-04-02")
    assert next_day is not first and next_day.today == "2026-04-02"
    other = []
    thread = threading.Thread(target=lambda: other.append(schema(Dated, today="2026-04-02")))
    thread.start()
    thread.join()
    assert other[0] is not next_day  # a schema may hold what it loads: never shared
