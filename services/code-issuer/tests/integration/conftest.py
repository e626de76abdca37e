"""code-issuer on the real servers: `dsn` names its database; `pool`, `topology`,
`published` and `redis_prefix` come from testsupport.plugin."""

import threading
from datetime import UTC, datetime

import pytest
from code_issuer.app import create_app
from code_issuer.config import Config
from code_issuer.consumer import make_consumer
from code_issuer.runtime import build
from code_issuer.store import MIGRATIONS
from kombu import Connection, Producer
from werkzeug.serving import make_server

from shared.clock import FixedClock
from shared.contracts.events import new_event
from shared.outbox import Relay
from testsupport import BROKER, REDIS, running
from testsupport.plugin import database_fixture

KEY = "dev-office-key"
AUTH = {"Authorization": f"Bearer {KEY}"}

dsn = database_fixture("code_issuer", MIGRATIONS)


@pytest.fixture
def clock():
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def config(dsn, topology, redis_prefix):
    return Config(database_url=dsn, bus_namespace=topology.namespace, migrate_on_start=False,
                  office_api_keys=(KEY, "second-office-key"), digest_secret="test-digest-secret",
                  redis_url=REDIS, redis_prefix=redis_prefix)


@pytest.fixture
def app(config, clock, pool):
    app = create_app(config, build(config, clock=clock))
    yield app
    app.extensions["code_issuer"].pool.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def relay(dsn, topology, clock):
    """Publish the outbox once (a real relay with publisher confirms)."""
    return Relay(dsn, BROKER, topology, clock)


@pytest.fixture
def server(app):
    """The app behind a real threaded HTTP server; yields its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def consumer(pool, clock, config):
    """The code-issuer's event consumer running in a thread against the real broker."""
    connection = Connection(BROKER)
    with running(make_consumer(config, pool, clock, connection, retry_pause=0.05)) as consumer:
        yield consumer
    connection.release()


class Bus:
    """Publishing on the namespace's exchange as another service would, and the DLQ count."""

    def __init__(self, topology):
        self.topology = topology

    def publish(self, body, routing_key):
        with Connection(BROKER) as conn:
            Producer(conn.default_channel).publish(body, exchange=self.topology.exchange,
                                                   routing_key=routing_key, serializer="json")

    def event(self, type_, payload, at):
        """Publish a valid event of the catalog; returns its envelope."""
        message = new_event(type_, payload, producer="test", now=at).to_message()
        self.publish(message, type_)
        return message

    def dead_letters(self, service="code_issuer") -> int:
        with Connection(BROKER) as conn:
            queue = self.topology.dead_letter_queue(service)(conn.default_channel)
            return queue.queue_declare(passive=True).message_count


@pytest.fixture
def bus(topology):
    return Bus(topology)


class Office:
    """The office API through the Flask test client."""

    def __init__(self, client):
        self.client = client

    def issue(self, number="12345-1234567", birth_date="1990-01-02", confirmed=None, **headers):
        body = {"job_seeker_number": number}
        if birth_date is not None:
            body["birth_date"] = birth_date
        if confirmed is not None:
            body["birth_date_confirmed"] = confirmed
        return self.client.post("/v1/codes", json=body, headers={**AUTH, **headers})

    def codes(self, number="12345-1234567"):
        response = self.client.get("/v1/codes", query_string={"job_seeker_number": number},
                                   headers=AUTH)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def status(self, code_id, number="12345-1234567"):
        return {c["code_id"]: c for c in self.codes(number)}[str(code_id)]

    def revoke(self, code_id, **headers):
        return self.client.post(f"/v1/codes/{code_id}/revoke", headers={**AUTH, **headers})


@pytest.fixture
def office(client):
    return Office(client)


@pytest.fixture
def dump_database(pool):
    """Every row of every table of the test database, as text."""

    def dump() -> str:
        with pool.connection() as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").fetchall()]
            return "\n".join(str(row[0]) for table in tables
                              for row in conn.execute(f"SELECT t::text FROM {table} t").fetchall())

    return dump
