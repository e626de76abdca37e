"""Issue 19: the APIs' JSON is written by orjson, with the output Flask's own provider gave:
the same bytes for what the answers hold (dates as HTTP dates, UUIDs, Decimals), Japanese
as itself and valid UTF-8 JSON, and reading as lenient as before."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask, jsonify, render_template_string
from flask.json.provider import DefaultJSONProvider

from shared.web import install
from shared.web.json_provider import OrjsonProvider, dumps_bytes, loads
from shared.web.messages import Messages


@dataclass
class Slip:
    number: str
    issued: date


SAMPLES = [
    {"when": datetime(2026, 4, 1, 1, 2, 3, tzinfo=UTC), "day": date(2026, 4, 1)},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "fee": Decimal("10.50")},
    {"slip": Slip("12345-1234567", date(1990, 1, 2)), "nested": [{"a": None, "b": True}]},
    {"message": "認証キーが違います。あと 4 回", "emoji": "😀", "line": "a\u2028b<\\/>"},
    {1: "int key", "z": 1, "a": 2.5, "big": 2**70},
]


def flask_default(app: Flask) -> DefaultJSONProvider:
    provider = DefaultJSONProvider(app)
    provider.ensure_ascii = False
    provider.sort_keys = False
    return provider


@pytest.mark.parametrize("value", SAMPLES)
def test_answers_are_the_bytes_flask_wrote(value):
    app = Flask(__name__)
    ours, flasks = OrjsonProvider(app), flask_default(app)
    with app.app_context():
        assert ours.response(value).get_data() == flasks.response(value).get_data()
    assert json.loads(ours.dumps(value)) == json.loads(flasks.dumps(value))


def test_dates_are_http_dates_and_uuids_and_decimals_text_as_flask_writes_them():
    written = json.loads(dumps_bytes(SAMPLES[0] | SAMPLES[1]))
    assert written == {"when": "Wed, 01 Apr 2026 01:02:03 GMT",
                       "day": "Wed, 01 Apr 2026 00:00:00 GMT",
                       "id": "12345678-1234-5678-1234-567812345678", "fee": "10.50"}


def test_japanese_text_stays_readable_and_the_body_is_valid_utf8_json():
    app = Flask(__name__)
    install(app, service="test-json", messages=Messages({}, {}), readiness={})

    @app.get("/text")
    def text():
        return {"message": "求職者番号が違います", "name": "ハローワーク太郎"}

    response = app.test_client().get("/text")
    raw = response.get_data()
    assert response.mimetype == "application/json"
    assert "求職者番号が違います".encode() in raw  # as itself, not \\u escapes
    assert b"\\u" not in raw
    assert json.loads(raw.decode("utf-8")) == {"message": "求職者番号が違います",
                                               "name": "ハローワーク太郎"}
    assert raw.endswith(b"}\n")
    assert isinstance(app.json, OrjsonProvider)


def test_keys_keep_their_order_unless_sorting_is_asked():
    app = Flask(__name__)
    provider = OrjsonProvider(app)
    assert provider.dumps({"b": 1, "a": 2}) == '{"b":1,"a":2}'
    provider.sort_keys = True
    assert provider.dumps({"b": 1, "a": 2}) == '{"a":2,"b":1}'


def test_debug_answers_are_indented_as_flasks_are():
    app = Flask(__name__)
    app.debug = True
    with app.app_context():
        assert (OrjsonProvider(app).response({"a": [1]}).get_data()
                == flask_default(app).response({"a": [1]}).get_data())


def test_what_json_cannot_write_is_refused_as_flask_refuses_it():
    app = Flask(__name__)
    with pytest.raises(TypeError):
        OrjsonProvider(app).dumps({"when": object()})
    with pytest.raises(TypeError):
        OrjsonProvider(app).dumps({"time": datetime(2026, 4, 1).time()})


def test_jsonify_and_templates_use_it():
    app = Flask(__name__)
    install(app, service="test-json", messages=Messages({}, {}), readiness={})
    with app.app_context():
        assert jsonify(day=date(2026, 4, 1)).get_data() == (
            b'{"day":"Wed, 01 Apr 2026 00:00:00 GMT"}\n')
        assert render_template_string("{{ v|tojson }}", v={"n": "太郎<"}) == (
            '{"n": "太郎\\u003c"}')


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": "\\ud800"}', '[1e400]',
                                  '{"a": 123456789012345678901234567890}'])
def test_reading_takes_what_the_standard_library_takes(text):
    assert repr(loads(text)) == repr(json.loads(text))


def test_reading_refuses_what_is_not_json():
    with pytest.raises(ValueError):
        loads("{'a': 1}")
