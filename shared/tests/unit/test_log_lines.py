"""Issue 19: log lines written by orjson hold what python-json-logger's lines held, field
for field and in the same order; what orjson refuses is still written."""

import json
import logging
import uuid
from datetime import UTC, datetime

import pytest
from pythonjsonlogger.json import JsonFormatter

from shared.logs import JsonLines

FORMAT = dict(fmt="%(asctime)s %(levelname)s %(name)s %(message)s",
              rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
              static_fields={"service": "registration"}, timestamp=False)


def record(**extra):
    made = logging.LogRecord("access", logging.INFO, __file__, 1, "request %s", ("x",), None)
    made.__dict__.update(extra)
    return made


@pytest.mark.parametrize("extra", [
    {"method": "POST", "route": "/v1/applications", "status": 400, "duration_ms": 1.25,
     "client": "203.0.113.0/24", "error_code": "IDENTITY_MISMATCH", "correlation_id": "c"},
    {"event_id": uuid.UUID(int=7), "at": datetime(2026, 4, 1, tzinfo=UTC),
     "message_ja": "認証キーのメールを送りました"},
    {"by_status": {201: 3, 400: 9}, "huge": 2**70},  # orjson refuses both
])
def test_a_line_holds_what_python_json_loggers_line_held(extra):
    ours, theirs = JsonLines(**FORMAT), JsonFormatter(**FORMAT)
    made = record(**extra)
    line, before = ours.format(made), theirs.format(made)
    assert json.loads(line) == json.loads(before)
    assert list(json.loads(line)) == list(json.loads(before))
    assert "\n" not in line


def test_an_exception_is_in_its_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        failed = record()
        failed.exc_info = sys.exc_info()
    line = json.loads(JsonLines(**FORMAT).format(failed))
    assert "ValueError: boom" in line["exc_info"]
