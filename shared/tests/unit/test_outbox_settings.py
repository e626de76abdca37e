"""OUTBOX_WAKE and OUTBOX_POLL_INTERVAL (issue 19): declared once, inherited by every
service with an outbox, checked when a process starts, and read by the outbox's writers."""

import subprocess
import sys

import pytest
from code_issuer.config import Config as CodeIssuer
from notifier.config import Config as Notifier
from registration.config import Config as Registration

from shared import outbox
from shared.config import NOTIFY, OUTBOX_WAKES, ConfigError, OutboxSettings


@pytest.mark.parametrize("config", [CodeIssuer, Registration, Notifier, OutboxSettings])
def test_every_service_with_an_outbox_reads_both_settings(config):
    read = config.from_env({"OUTBOX_WAKE": "poll", "OUTBOX_POLL_INTERVAL": "0.05"})
    assert (read.outbox_wake, read.outbox_poll_interval) == ("poll", 0.05)
    default = config.from_env({})
    assert default.outbox_wake in OUTBOX_WAKES and default.outbox_poll_interval > 0


@pytest.mark.parametrize("environ, message", [
    ({"OUTBOX_WAKE": "sometimes"}, "OUTBOX_WAKE must be one of notify, notify-if-empty, poll"),
    ({"OUTBOX_POLL_INTERVAL": "0"}, "OUTBOX_POLL_INTERVAL: must be a number of seconds above 0"),
    ({"OUTBOX_POLL_INTERVAL": "-1"}, "OUTBOX_POLL_INTERVAL: must be a number of seconds above 0"),
    ({"OUTBOX_POLL_INTERVAL": "nan"}, "OUTBOX_POLL_INTERVAL: must be a number of seconds above 0"),
    ({"OUTBOX_POLL_INTERVAL": "soon"}, "OUTBOX_POLL_INTERVAL"),
])
def test_a_bad_value_stops_the_process_at_start_naming_the_variable(environ, message):
    with pytest.raises(ConfigError, match=message):
        Registration.from_env(environ)


def test_the_writers_follow_the_process_environment():
    probe = "from shared import outbox; print(outbox.wake_mode())"
    for mode in OUTBOX_WAKES:
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             check=True, env={"OUTBOX_WAKE": mode, "PATH": ""}).stdout
        assert out.strip() == mode


def test_a_mode_set_in_process_is_checked(monkeypatch):
    monkeypatch.setattr(outbox, "_wake", None)
    with pytest.raises(ConfigError, match="OUTBOX_WAKE"):
        outbox.set_wake_mode("never")
    outbox.set_wake_mode(NOTIFY)
    assert outbox.wake_mode() == NOTIFY
