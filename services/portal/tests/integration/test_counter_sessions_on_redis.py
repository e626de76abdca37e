"""Issue 13 item 1 on the real Redis: the counter's sessions live there, encrypted, and
end with sign-out; without Redis the counter fails closed with a 503 page."""

import json

import pytest
import redis
from portal.app import create_app
from portal.counter_sessions import RedisRecords, Unavailable
from portal.runtime import build

from testsupport import REDIS

from ..conftest import post
from ..fakes import OFFICE_KEY

pytestmark = pytest.mark.integration
NUMBER, BIRTH = "12345-1234567", "1990-04-01"


@pytest.fixture
def stored(redis_prefix):
    """Every key under the test's prefix with its value and TTL."""
    client = redis.Redis.from_url(REDIS)

    def read() -> dict[str, tuple[str, int]]:
        return {key.decode(): (client.get(key).decode(), client.ttl(key))
                for key in client.scan_iter(f"{redis_prefix}:*")}

    return read


@pytest.fixture
def app(config, clock, redis_prefix):
    return create_app(config, build(config, clock=clock,
                                    counter_records=RedisRecords(REDIS, redis_prefix)))


def test_item1_records_are_added_once_replaced_only_while_they_exist_and_expire(redis_prefix, stored):
    records = RedisRecords(REDIS, redis_prefix)
    records.add("n", {"a": 1}, 60)
    records.add("n", {"a": 2}, 60)  # NX: a second add changes nothing
    assert records.get("n") == {"a": 1}
    assert records.replace("n", {"a": 3}, 30) and records.get("n") == {"a": 3}
    assert 0 < stored()[f"{redis_prefix}:counter:n"][1] <= 30
    records.remove("n")
    assert records.get("n") is None
    assert not records.replace("n", {"a": 4}, 30) and stored() == {}


def test_item1_the_office_key_is_stored_encrypted_and_signing_out_deletes_it(
        client, fake, stored):
    post(client, "/counter/signin", {"office_key": OFFICE_KEY})
    entries = stored()
    assert len(entries) == 1
    ((name, (value, ttl)),) = entries.items()
    assert OFFICE_KEY not in value and OFFICE_KEY not in name
    assert set(json.loads(value)) == {"key", "since", "seen", "number"}
    assert 1790 <= ttl <= 1800  # the idle limit
    assert client.get("/counter").status_code == 200
    post(client, "/counter", {}, action="/counter/signout")
    assert stored() == {}


def test_item1_a_copied_cookie_replayed_after_sign_out_issues_nothing(app, client, fake):
    post(client, "/counter/signin", {"office_key": OFFICE_KEY})
    client.get("/counter")
    stolen = client.get_cookie("portal_session").value
    post(client, "/counter", {}, action="/counter/signout")
    before = len(fake.requests)
    thief = app.test_client()
    thief.set_cookie("portal_session", stolen)
    token = app.session_interface.get_signing_serializer(app).loads(stolen)["csrf"]
    response = thief.post("/counter/issue", data={"job_seeker_number": NUMBER,
                                                  "birth_date": BIRTH, "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/counter/signin"
    assert fake.requests[before:] == [] and fake.codes == []


@pytest.fixture
def no_redis_app(config, clock):
    return create_app(config, build(config, clock=clock, counter_records=RedisRecords(
        "redis://127.0.0.1:1/0", "test-portal")))


def test_item1_without_redis_counter_sign_in_fails_closed_with_a_503_page(no_redis_app, fake):
    client = no_redis_app.test_client()
    response = post(client, "/counter/signin", {"office_key": OFFICE_KEY})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    page = response.data.decode()
    assert "窓口の画面は現在ご利用いただけません" in page and "サインインと操作を停止" in page
    assert OFFICE_KEY not in page
    assert "counter" not in no_redis_app.session_interface.get_signing_serializer(
        no_redis_app).loads(client.get_cookie("portal_session").value)
    response = client.get("/counter")
    assert response.status_code == 303  # no cookie session to fall back on


def test_item1_without_redis_a_signed_in_counter_stops_with_a_503_page(config, clock, fake,
                                                                       redis_prefix):
    records = RedisRecords(REDIS, redis_prefix)
    app = create_app(config, build(config, clock=clock, counter_records=records))
    client = app.test_client()
    post(client, "/counter/signin", {"office_key": OFFICE_KEY})
    records.redis = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    before = len(fake.requests)
    response = client.get("/counter", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    client.get("/?lang=en")
    assert "cannot be reached" in client.get("/counter").data.decode()
    assert fake.requests[before:] == []
    with pytest.raises(Unavailable):
        records.get("anything")
