"""shared.probes: the /healthz, /readyz and /metrics server of the non-HTTP processes."""

import logging
import socket

import pytest
import requests
from prometheus_client import CollectorRegistry, Gauge

from shared import probes


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_heartbeat_is_alive_until_its_loop_is_silent_longer_than_the_limit():
    clock = Clock()
    heartbeat = probes.Heartbeat(limit_seconds=120, clock=clock)
    clock.now += 119
    assert heartbeat.alive()
    clock.now += 2
    assert not heartbeat.alive()
    heartbeat.beat()
    assert heartbeat.alive() and heartbeat.age() == 0


@pytest.fixture
def server():
    clock = Clock()
    heartbeat = probes.Heartbeat(limit_seconds=10, clock=clock)
    state = {"database": None}

    def database():
        if state["database"]:
            raise state["database"]

    registry = CollectorRegistry()
    Gauge("probe_test_gauge", "a test gauge", registry=registry).set(7)
    running = probes.serve("registration-relay", {"database": database}, heartbeat, registry,
                           environ={}, host="127.0.0.1", port=0)
    # port 0 means "off" for serve(); bind an ephemeral port explicitly instead
    assert running is None
    running = probes.ProbeServer("registration-relay", "127.0.0.1", 0, {"database": database},
                                 heartbeat, registry).start()
    yield f"http://127.0.0.1:{running.port}", clock, state
    running.close()


def test_healthz_follows_the_heartbeat(server):
    url, clock, _ = server
    assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
    clock.now += 11
    stuck = requests.get(f"{url}/healthz", timeout=5)
    assert stuck.status_code == 503 and stuck.json()["status"] == "stuck"


def test_readyz_names_the_failing_check(server):
    url, _, state = server
    assert requests.get(f"{url}/readyz", timeout=5).json() == {
        "status": "ok", "checks": {"database": "ok"}}
    state["database"] = ConnectionError("down")
    answer = requests.get(f"{url}/readyz", timeout=5)
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": "unavailable: ConnectionError"}


def test_metrics_serves_the_registry_and_unknown_paths_are_404(server):
    url, _, _ = server
    assert "probe_test_gauge 7.0" in requests.get(f"{url}/metrics", timeout=5).text
    assert requests.get(f"{url}/nothing", timeout=5).status_code == 404


def test_the_default_port_of_each_process_and_the_overrides():
    assert probes.address("notifier-beat", {}) == ("127.0.0.1", 9123)
    assert probes.address("notifier-beat", {"HEALTH_PORT": "9999", "HEALTH_HOST": "::1"}) \
        == ("::1", 9999)
    with pytest.raises(ValueError, match="HEALTH_PORT"):
        probes.address("notifier-beat", {"HEALTH_PORT": "x"})
    assert len(set(probes.DEFAULT_PORTS.values())) == len(probes.DEFAULT_PORTS)


def test_a_port_already_taken_is_logged_and_the_process_goes_on(caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.WARNING):
            assert probes.serve("notifier-relay", {}, environ={"HEALTH_PORT": str(port)}) is None
    assert "health endpoints not started" in caplog.text


def test_the_broker_watch_sets_the_gauge_and_logs_each_change_once(caplog):
    state = {"up": True}

    def check(_url):
        if not state["up"]:
            raise ConnectionRefusedError("refused")

    watch = probes.BrokerWatch("amqp://nowhere", check=check)
    with caplog.at_level(logging.INFO, logger="shared.probes"):
        assert watch.once() is True
        assert probes.BROKER_UP._value.get() == 1
        state["up"] = False
        assert watch.once() is False
        assert watch.once() is False
        assert probes.BROKER_UP._value.get() == 0
        state["up"] = True
        watch.once()
    messages = [r.getMessage() for r in caplog.records if r.name == "shared.probes"]
    assert messages == ["message broker reachable",
                        "message broker unreachable; events and mails wait in the outbox",
                        "message broker reachable"]
