"""Issue 15: outages the production form must ride out.

- RabbitMQ down: the APIs stay ready (their readiness depends on their database only), step
  2 answers 201, and every auth-key mail arrives once RabbitMQ is back (the outbox waited).
- PostgreSQL down for 90 s under load: the consumers hold the events they cannot store and
  retry in place, so no good event reaches a dead-letter queue, and no flow is lost.

Each runs with a link cut by default and with the real server stopped under
CHAOS_REAL_SERVERS=1 (make chaos in CI; the exclusive server lock on a shared machine).
"""

import time
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
import requests
from crowd import Crowd, Seeker
from faults import LinkOutage, RabbitStopped, run
from faults import postgres_cluster as cluster
from kombu import Connection, Producer

from shared.bus import Topology
from shared.contracts.events import new_event
from shared.contracts.subscriptions import SUBSCRIPTIONS
from testsupport import BROKER, eventually

real_servers = pytest.mark.real_servers
link = pytest.param("link", marks=pytest.mark.link_only)
DATABASE_OUTAGE_SECONDS = 90


class PostgresStopped:
    """This machine's PostgreSQL cluster stopped (not restarted), then started again."""

    def begin(self) -> None:
        run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster(), "main", "stop",
             "--", "-m", "fast"])

    def end(self) -> None:
        run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster(), "main", "start"])
        import subprocess

        for _ in range(60):
            if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
                return
            time.sleep(1)
        raise RuntimeError("PostgreSQL did not come back")


def dead_letters(system) -> dict[str, int]:
    topology = Topology(system.namespace)
    counts = {}
    with Connection(BROKER) as conn:
        for service in SUBSCRIPTIONS:
            queue = topology.dead_letter_queue(service)(conn.channel())
            counts[service] = queue.queue_declare(passive=True).message_count
    return counts


def apply(system, seeker: Seeker) -> requests.Response:
    body = {"privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
            "email": seeker.email, "email_confirmation": seeker.email,
            "job_seeker_number": seeker.number, "birth_date": seeker.birth_date,
            "account_creation_code": seeker.code}
    return requests.post(f"{system.registration_url}/v1/applications", json=body, timeout=15,
                         headers={"X-Forwarded-For": "198.51.100.7"})


def publish_events(system, count: int) -> list:
    events = [new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                        producer="code-issuer", now=datetime.now(UTC)) for _ in range(count)]
    topology = Topology(system.namespace)
    with Connection(BROKER) as conn:
        producer = Producer(conn.default_channel)
        for event in events:
            producer.publish(event.to_message(), exchange=topology.exchange,
                             routing_key=event.type, delivery_mode=2)
    return [e.event_id for e in events]


def inbox_count(system, service: str, ids: list) -> int:
    with psycopg.connect(system.databases[service]) as conn:
        return conn.execute("SELECT count(*) FROM inbox WHERE event_id = ANY(%s)",
                            (ids,)).fetchone()[0]


def broker_gauge(url: str) -> str:
    metrics = requests.get(f"{url}/metrics", timeout=5).text
    return next((line for line in metrics.splitlines()
                 if line.startswith("jobportal_broker_up")), "")


@pytest.mark.parametrize("where", [link, pytest.param("real", marks=real_servers)])
def test_rabbitmq_down_leaves_the_apis_ready_step_2_answers_201_and_mails_follow(
        system, mailbox, where):
    seekers = [Seeker(system) for _ in range(5)]
    fault = LinkOutage(system.links["rabbitmq"]) if where == "link" else RabbitStopped()
    fault.begin()
    try:
        # The broker watch (every 10 s) notices; readiness does not change.
        eventually(lambda: broker_gauge(system.registration_url).endswith(" 0.0"), timeout=30)
        for url in system.urls.values():
            ready = requests.get(f"{url}/readyz", timeout=5)
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok"}
        answers = [apply(system, s) for s in seekers]
        assert [a.status_code for a in answers] == [201] * len(seekers), \
            [a.text for a in answers]
        time.sleep(3)
        mailbox.refresh()
        assert [s.email for s in seekers if mailbox.keys_for(s.email)] == []
    finally:
        fault.end()
    for seeker in seekers:
        eventually(lambda s=seeker: mailbox.keys_for(s.email), timeout=120, interval=0.5)
    time.sleep(2)
    assert [len(mailbox.keys_for(s.email)) for s in seekers] == [1] * len(seekers)
    eventually(lambda: broker_gauge(system.registration_url).endswith(" 1.0"), timeout=30)


@pytest.mark.parametrize("where", [link, pytest.param("real", marks=real_servers)])
def test_postgresql_down_90_seconds_under_load_dead_letters_nothing_and_loses_nothing(
        system, mailbox, figures, where):
    fault = LinkOutage(system.links["postgres"]) if where == "link" else PostgresStopped()
    before = dead_letters(system)
    crowd = Crowd(system.urls, mailbox, system.databases["registration"],
                  tag=f"pg90-{where}", size=60, concurrency=16, timeout=360)
    crowd.start()
    eventually(lambda: crowd.started >= 20 and crowd.completed() >= 3, timeout=60,
               interval=0.1)
    fault.begin()
    began = time.monotonic()
    try:
        # Events reach the consumers while the database is away (the broker is up): they
        # must be held, not spent against the delivery limit.
        time.sleep(5)
        during = publish_events(system, 10)
        time.sleep(max(0.0, DATABASE_OUTAGE_SECONDS - (time.monotonic() - began)))
    finally:
        fault.end()
    system.serving(timeout=120)
    result = crowd.figures(f"PostgreSQL down {DATABASE_OUTAGE_SECONDS} s ({where})")
    figures(result)
    assert result.flows_completed == 60, result.lost
    assert result.accounts_created == 60, result
    assert result.mails_delivered >= 60, result
    assert result.http_500 == 0, result
    # at-least-once mail: at most one copy per worker process caught between SMTP and commit
    assert result.duplicate_mails <= int(system.env["NOTIFIER_CONCURRENCY"]), result
    assert dead_letters(system) == before == {service: 0 for service in SUBSCRIPTIONS}
    for service in ("registration", "notifier"):  # both consume code.revoked
        eventually(lambda s=service: inbox_count(system, s, during) == len(during), timeout=60)
    held = sum((system.logs / f"{name}.log").read_text(errors="replace").count(
        "event held until it answers") for name in
        ("code-issuer-consumer", "registration-consumer", "notifier-consumer"))
    assert held > 0, "no consumer met the outage: the test did not test the hold"
