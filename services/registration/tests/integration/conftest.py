"""Fixtures on the real servers: a throw-away database, bus namespace and Redis prefix per
run (testsupport.plugin's, widened to the session here), the app with a movable clock, and
helpers playing code-issuer and the notifier."""

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import registration
from kombu import Connection, Producer
from registration.app import create_app
from registration.config import Config
from registration.consumer import handlers
from registration.runtime import build

from shared.bus import EventConsumer
from shared.clock import FixedClock
from shared.contracts.events import new_event
from shared.db import make_pool
from shared.outbox import Relay, task_queue
from shared.tokens import keyed_digest, random_crockford
from testsupport import BROKER, REDIS, eventually, running
from testsupport.plugin import database_fixture, namespace_fixture, redis_prefix_fixture

MIGRATIONS = Path(registration.__file__).parent / "migrations"
SECRET = "test-digest-secret-for-registration"
START = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # 10:00 JST

dsn = database_fixture("registration", MIGRATIONS)
redis_prefix = redis_prefix_fixture("test-registration", scope="session")
topology = namespace_fixture(scope="session")


def settings(dsn, topology, redis_prefix, **over):
    env = {
        "DATABASE_URL": dsn, "BUS_NAMESPACE": topology.namespace, "BUS_QUORUM": "true",
        "REDIS_URL": REDIS, "REDIS_PREFIX": f"{redis_prefix}:{uuid.uuid4().hex[:8]}",
        "DIGEST_SECRET": SECRET, "ARGON2_MEMORY_KIB": "8192", "ARGON2_TIME_COST": "1",
        "DB_POOL_SIZE": "12",
        "RATE_LIMIT_APPLICATIONS": "100000", "RATE_LIMIT_PASSWORD_REGISTRATIONS": "100000",
        "RATE_LIMIT_SESSIONS": "100000", "RATE_LIMIT_READS": "100000",
        "LOGIN_FAILURES_PER_ACCOUNT": "1000", "LOGIN_FAILURES_PER_ADDRESS": "1000",
    }
    env.update({k.upper(): str(v) for k, v in over.items()})
    return Config.from_env(env)


def close(app):
    """Close the app's pool (its runtime's)."""
    app.extensions["registration"].pool.close()


@pytest.fixture
def config(dsn, topology, redis_prefix):
    return settings(dsn, topology, redis_prefix)


@pytest.fixture(scope="session")
def shared_clock():
    return FixedClock(START)


@pytest.fixture
def clock(shared_clock):
    """The clock of the app and the consumer, back at START for every test."""
    shared_clock.set(START)
    return shared_clock


@pytest.fixture
def app(config, clock, conn):
    app = create_app(config, build(config, clock=clock))
    yield app
    close(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def module_client(dsn, topology, redis_prefix, shared_clock):
    """One app for a module of tests that need no emptied tables (bad input)."""
    config = settings(dsn, topology, redis_prefix)
    app = create_app(config, build(config, clock=shared_clock))
    yield app.test_client()
    close(app)


@pytest.fixture(scope="module")
def module_conn(dsn):
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


class Bus:
    """Publishes what code-issuer and the notifier would, and waits for the consumer."""

    def __init__(self, topology, consumer, clock):
        self.topology, self.consumer, self.clock = topology, consumer, clock
        self.connection = Connection(BROKER)

    def publish(self, type_, payload, wait=True):
        event = new_event(type_, payload, producer="test", now=self.clock.now())
        self.send(event.to_message(), type_, wait)
        return event

    def send(self, body, routing_key, wait=True):
        before = self.consumer.handled
        Producer(self.connection.default_channel).publish(
            body, exchange=self.topology.exchange, routing_key=routing_key, serializer="json")
        if wait:
            eventually(lambda: self.consumer.handled > before)

    def issue(self, number=None, birth_date=date(1990, 1, 2), issued_at=None,
              expires_at=None, supersedes=()):
        """A code.issued event; returns (code_id, plain code, number)."""
        number = number or f"{uuid.uuid4().int % 90000 + 10000}-{uuid.uuid4().int % 10**7}"
        issued_at = issued_at or self.clock.now()
        plain = random_crockford(10)
        code_id = uuid.uuid4()
        self.publish("code.issued", {
            "code_id": code_id, "job_seeker_number": number, "birth_date": birth_date,
            "code_digest": keyed_digest(SECRET, plain, "code"), "issued_at": issued_at,
            "expires_at": expires_at or issued_at + timedelta(days=5),
            "supersedes": list(supersedes)})
        return code_id, plain, number


@pytest.fixture(scope="session")
def running_bus(dsn, topology, shared_clock):
    pool = make_pool(dsn, max_size=2)
    connection = Connection(BROKER)
    consumer = EventConsumer(connection, topology, "registration",
                             handlers.dispatch(pool, shared_clock), retry_pause=0.05)
    with running(consumer):
        eventually(lambda: consumer.connection.connected)
        bus = Bus(topology, consumer, shared_clock)
        yield bus
    bus.connection.release()
    connection.release()
    pool.close()


class Mailbox:
    """Runs registration's outbox relay and reads the mail tasks it put on `<ns>.mail`."""

    def __init__(self, dsn, topology, clock):
        self.relay = Relay(dsn, BROKER, topology, clock)
        self.queue = task_queue(f"{topology.namespace}.mail")
        self.connection = Connection(BROKER)

    def tasks(self):
        """Every mail task published so far: (headers, kwargs)."""
        self.relay.run_once()
        simple = self.connection.SimpleQueue(self.queue)
        out = []
        try:
            while True:
                try:
                    message = simple.get(block=True, timeout=0.15)
                except simple.Empty:
                    break
                args, kwargs, _embed = message.payload
                assert args == []
                out.append((message.headers, kwargs))
                message.ack()
        finally:
            simple.close()
        return out

    def last_key(self):
        return self.tasks()[-1][1]["auth_key"]

    def close(self):
        self.connection.release()
        self.relay._drop_broker()
        if self.relay._db is not None:
            self.relay._db.close()


@pytest.fixture
def bus(running_bus, conn, clock):
    """The consumer running on the test namespace, after the tables were emptied."""
    return running_bus


@pytest.fixture
def mailbox(dsn, topology, clock, conn):
    box = Mailbox(dsn, topology, clock)
    box.tasks()  # drop what earlier tests left on the queue
    yield box
    box.close()


BIRTH = "1990-01-02"
PASSWORD = "Kx7#mQ2v-z"  # noqa: S105 - a test account's password


def application_body(code, number, email="taro@example.jp", birth_date=BIRTH, **over):
    body = {"privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
            "email": email, "email_confirmation": email, "job_seeker_number": number,
            "birth_date": birth_date, "account_creation_code": code}
    body.update(over)
    return body


@pytest.fixture
def apply(client):
    def apply(code, number, **over):
        return client.post("/v1/applications", json=application_body(code, number, **over))
    return apply


@pytest.fixture
def register(client):
    def register(token, key, password=PASSWORD, confirmation=None):
        return client.post("/v1/password-registrations", json={
            "application_token": token, "auth_key": key, "password": password,
            "password_confirmation": confirmation or password})
    return register


@pytest.fixture
def account(bus, apply, register, mailbox):
    """A registered account: email, password, number, code_id and its (used) code."""
    code_id, code, number = bus.issue()
    token = apply(code, number, email="hanako@example.jp").get_json()["application_token"]
    assert register(token, mailbox.last_key(), PASSWORD).status_code == 201
    return {"email": "hanako@example.jp", "password": PASSWORD, "number": number,
            "code_id": code_id, "code": code}


@pytest.fixture
def make_client(dsn, topology, redis_prefix, clock, conn):
    """A client of an app built with other settings, e.g. make_client(max_failed_attempts=3)."""
    apps = []

    def make_client(**over):
        config = settings(dsn, topology, redis_prefix, **over)
        app = create_app(config, build(config, clock=clock))
        apps.append(app)
        return app.test_client()
    yield make_client
    for app in apps:
        close(app)


@pytest.fixture
def rows(conn):
    """Rows of a table (optionally matching a condition), read outside the app."""
    def rows(table, where="TRUE", params=()):
        return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]
    return rows


@pytest.fixture
def good_body():
    return application_body
