"""R19 (the account's open sessions: listed, one ended, all others ended) and R20 (a login
from a client unseen for 90 days hands the notifier a `new_login` notice), on the real
servers."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.clock import iso
from shared.contracts import tasks

pytestmark = pytest.mark.integration

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
          "Gecko) Chrome/126.0.0.0 Safari/537.36")
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


def from_(user_agent, address, **more):
    return {"User-Agent": user_agent, "X-Forwarded-For": address, **more}


def login(client, account, headers):
    response = client.post("/v1/sessions", headers=headers, json={
        "email": account["email"], "password": account["password"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["session_token"]


def bearer(token, **more):
    return {"Authorization": f"Bearer {token}", **more}


def listed(client, token):
    response = client.get("/v1/me/sessions", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def notices(mailbox):
    found = []
    for headers, kwargs in mailbox.tasks():
        if headers["task"] == tasks.SEND_NOTICE and kwargs["kind"] == "new_login":
            tasks.check_arguments(tasks.SEND_NOTICE, kwargs)  # exactly what the contract takes
            found.append(kwargs)
    return found


@pytest.fixture
def quiet_mailbox(mailbox, account):
    """The mail tasks after the account's own (auth key, registration complete)."""
    mailbox.tasks()
    return mailbox


@pytest.fixture
def other_account(bus, apply, register, mailbox, account):
    _, code, number = bus.issue()
    token = apply(code, number, email="jiro@example.jp").get_json()["application_token"]
    assert register(token, mailbox.last_key(), account["password"]).status_code == 201
    return {"email": "jiro@example.jp", "password": account["password"]}


# --- R19 -------------------------------------------------------------------------------------
def test_r19_lists_open_sessions_with_times_masked_address_and_browser(client, account, clock,
                                                                       conn):
    first = login(client, account, from_(FIREFOX, "203.0.113.77"))
    started = clock.now()
    clock.advance(minutes=5)
    second = login(client, account, from_(CHROME, "2001:db8:1234:5678::1"))
    sessions = listed(client, first)
    assert [(s["current"], s["client_address"], s["browser"]) for s in sessions] == [
        (False, "2001:db8:1234::/48", "Chrome on macOS"),  # the most recently used first
        (True, "203.0.113.0/24", "Firefox on Windows"),
    ]
    assert sessions[1]["started_at"] == iso(started)
    assert sessions[1]["last_used_at"] == iso(clock.now())  # this very request used it
    assert sessions[0]["started_at"] == sessions[0]["last_used_at"] == iso(clock.now())
    assert set(sessions[0]) == {"session_id", "current", "started_at", "last_used_at",
                                "client_address", "browser"}
    # the public id is no token, and the full address is kept nowhere
    ids = {s["session_id"] for s in sessions}
    assert all(uuid.UUID(i) for i in ids) and not ids & {first, second}
    stored = str(conn.execute("SELECT * FROM sessions").fetchall()) + str(
        conn.execute("SELECT * FROM seen_clients").fetchall())
    assert "203.0.113.77" not in stored and "5678" not in stored
    assert [s["current"] for s in listed(client, second)] == [True, False]


def test_r19_ended_and_expired_sessions_are_not_listed(client, account, clock):
    idle = login(client, account, from_(FIREFOX, "203.0.113.1"))
    clock.advance(minutes=20)
    ended = login(client, account, from_(SAFARI, "198.51.100.1"))
    assert client.delete("/v1/sessions/current", headers=bearer(ended)).status_code == 204
    clock.advance(minutes=11)  # `idle` unused for 31 minutes: expired (R13)
    current = login(client, account, from_(CHROME, "192.0.2.1"))
    assert [s["browser"] for s in listed(client, current)] == ["Chrome on macOS"]
    assert client.get("/v1/me", headers=bearer(idle)).status_code == 401


def test_r19_last_use_is_written_at_most_once_a_minute_so_a_request_is_no_write(
        client, account, clock, conn):
    token = login(client, account, from_(FIREFOX, "203.0.113.1"))
    opened = clock.now()

    def row_version():
        return conn.execute("SELECT xmin::text, xmax::text, last_seen_at FROM sessions"
                            ).fetchone()
    before = row_version()
    clock.advance(seconds=59)
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    assert row_version() == before  # not updated, not even locked
    assert listed(client, token)[0]["last_used_at"] == iso(opened)
    clock.advance(seconds=1)
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    assert listed(client, token)[0]["last_used_at"] == iso(clock.now())


def test_r19_ends_one_session_by_its_id(client, account):
    mine = login(client, account, from_(FIREFOX, "203.0.113.1"))
    lost = login(client, account, from_(SAFARI, "198.51.100.1"))
    target = next(s["session_id"] for s in listed(client, mine) if not s["current"])
    assert client.delete(f"/v1/me/sessions/{target}", headers=bearer(mine)).status_code == 204
    assert error(client.get("/v1/me", headers=bearer(lost))) == (401, "UNAUTHORIZED")
    assert [s["current"] for s in listed(client, mine)] == [True]
    again = client.delete(f"/v1/me/sessions/{target}", headers=bearer(mine))
    assert error(again) == (404, "SESSION_NOT_FOUND")
    assert client.get("/v1/me", headers=bearer(mine)).status_code == 200


def test_r19_ending_the_current_session_by_its_id_logs_out(client, account):
    token = login(client, account, from_(FIREFOX, "203.0.113.1"))
    (me,) = listed(client, token)
    assert client.delete(f"/v1/me/sessions/{me['session_id']}",
                         headers=bearer(token)).status_code == 204
    assert client.get("/v1/me", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("language, text", [(None, "セッションID"), ("en", "session id")])
def test_r19_another_accounts_session_is_not_found_and_a_bad_id_names_the_field(
        client, account, other_account, language, text):
    mine = login(client, account, from_(FIREFOX, "203.0.113.1"))
    theirs = login(client, other_account, from_(FIREFOX, "203.0.113.1"))
    (their_session,) = listed(client, theirs)
    headers = bearer(mine, **({"Accept-Language": language} if language else {}))
    refused = client.delete(f"/v1/me/sessions/{their_session['session_id']}", headers=headers)
    assert error(refused) == (404, "SESSION_NOT_FOUND")
    assert client.get("/v1/me", headers=bearer(theirs)).status_code == 200
    for bad in ("not-a-uuid", "1" * 300, "%00", "' OR 1=1 --"):
        response = client.delete(f"/v1/me/sessions/{bad}", headers=headers)
        assert error(response) == (422, "VALIDATION_FAILED"), bad
        assert text in response.get_json()["error"]["fields"]["session_id"][0]
    assert error(client.delete(f"/v1/me/sessions/{uuid.uuid4()}", headers=headers)) == (
        404, "SESSION_NOT_FOUND")


def test_r19_ends_every_session_but_the_current_one(client, account, other_account):
    mine = login(client, account, from_(FIREFOX, "203.0.113.1"))
    others = [login(client, account, from_(ua, f"198.51.100.{n}"))
              for n, ua in enumerate((CHROME, SAFARI, FIREFOX))]
    theirs = login(client, other_account, from_(FIREFOX, "203.0.113.1"))
    assert client.delete("/v1/me/sessions", headers=bearer(mine)).status_code == 204
    for token in others:
        assert client.get("/v1/me", headers=bearer(token)).status_code == 401
    assert client.get("/v1/me", headers=bearer(mine)).status_code == 200
    assert client.get("/v1/me", headers=bearer(theirs)).status_code == 200  # not another's
    assert [s["current"] for s in listed(client, mine)] == [True]
    assert client.delete("/v1/me/sessions", headers=bearer(mine)).status_code == 204  # none left


@pytest.mark.parametrize("method, path", [("get", "/v1/me/sessions"),
                                          ("delete", "/v1/me/sessions"),
                                          ("delete", f"/v1/me/sessions/{uuid.uuid4()}")])
def test_r19_needs_a_live_session(client, account, clock, method, path):
    assert error(getattr(client, method)(path)) == (401, "UNAUTHORIZED")
    token = login(client, account, from_(FIREFOX, "203.0.113.1"))
    clock.advance(minutes=31)
    assert error(getattr(client, method)(path, headers=bearer(token))) == (401, "UNAUTHORIZED")


# --- R20 -------------------------------------------------------------------------------------
def test_r20_the_first_login_after_registration_mails_no_notice_then_a_new_client_does(
        client, account, quiet_mailbox, clock):
    login(client, account, from_(FIREFOX, "203.0.113.7"))  # first login, from anywhere
    assert notices(quiet_mailbox) == []
    clock.advance(hours=1)
    login(client, account, from_(CHROME, "198.51.100.9", **{"Accept-Language": "en"}))
    (notice,) = notices(quiet_mailbox)
    assert notice["email"] == account["email"]
    assert notice["language"] == "en"
    assert notice["occurred_at"] == iso(clock.now())
    assert notice["client_address"] == "198.51.100.0/24"
    assert notice["browser"] == "Chrome on macOS"
    assert uuid.UUID(notice["notice_id"])


def test_r20_the_client_that_registered_counts_as_seen(client, account, quiet_mailbox):
    login(client, account, from_(FIREFOX, "203.0.113.7"))  # the first login
    login(client, account, {})  # the test client of step 3: its browser and address
    assert notices(quiet_mailbox) == []
    login(client, account, from_(SAFARI, "192.0.2.200"))
    assert len(notices(quiet_mailbox)) == 1


def test_r20_a_known_client_mails_no_notice_until_unseen_for_90_days(
        client, account, quiet_mailbox, clock):
    login(client, account, from_(FIREFOX, "203.0.113.7"))
    login(client, account, from_(CHROME, "198.51.100.9"))
    assert len(notices(quiet_mailbox)) == 1
    clock.advance(days=89)
    login(client, account, from_(CHROME, "198.51.100.200"))  # same /24, same browser
    assert notices(quiet_mailbox) == []
    clock.advance(days=90)  # exactly 90 days after the last sighting: still known
    login(client, account, from_(CHROME, "198.51.100.9"))
    assert notices(quiet_mailbox) == []
    clock.advance(days=90, seconds=1)
    login(client, account, from_(CHROME, "198.51.100.9"))
    (notice,) = notices(quiet_mailbox)
    assert notice["language"] == "ja"
    login(client, account, from_(CHROME, "198.51.101.9"))  # another /24
    login(client, account, from_(FIREFOX, "198.51.100.9"))  # another browser
    assert len(notices(quiet_mailbox)) == 2


def test_r20_a_refused_login_mails_nothing_and_records_no_sighting(client, account,
                                                                   quiet_mailbox, rows):
    before = rows("seen_clients")
    response = client.post("/v1/sessions", headers=from_(CHROME, "198.51.100.9"), json={
        "email": account["email"], "password": "Wrong#pass9"})
    assert error(response) == (401, "LOGIN_FAILED")
    assert notices(quiet_mailbox) == [] and rows("seen_clients") == before


def test_r20_sightings_older_than_90_days_are_purged(client, account, other_account,
                                                     quiet_mailbox, clock, conn):
    login(client, account, from_(FIREFOX, "203.0.113.7"))
    login(client, other_account, from_(SAFARI, "192.0.2.1"))
    clock.advance(days=91)
    login(client, account, from_(CHROME, "198.51.100.9"))  # any login sweeps a few
    left = conn.execute("SELECT browser FROM seen_clients ORDER BY browser").fetchall()
    assert left == [("Chrome on macOS",)]


def test_r20_concurrent_logins_from_one_new_client_mail_one_notice(client, account,
                                                                   quiet_mailbox):
    login(client, account, from_(FIREFOX, "203.0.113.7"))
    app = client.application
    with ThreadPoolExecutor(6) as pool:
        tokens = list(pool.map(lambda _: login(app.test_client(), account,
                                               from_(CHROME, "198.51.100.9")), range(6)))
    assert len(set(tokens)) == 6
    assert len(notices(quiet_mailbox)) == 1


def test_r20_accounts_logged_in_only_before_clients_were_recorded_get_no_notice_storm(
        client, account, quiet_mailbox, conn):
    old = login(client, account, from_(FIREFOX, "203.0.113.7"))
    # as r0007 leaves a session opened before it, and no sightings yet
    conn.execute("UPDATE sessions SET browser = NULL, client_address = NULL")
    conn.execute("DELETE FROM seen_clients")
    login(client, account, from_(CHROME, "198.51.100.9"))  # first login R20 knows of
    assert notices(quiet_mailbox) == []
    assert {(s["browser"], s["client_address"]) for s in listed(client, old)} == {
        ("unknown", "unknown"), ("Chrome on macOS", "198.51.100.0/24")}
    login(client, account, from_(SAFARI, "192.0.2.1"))
    assert len(notices(quiet_mailbox)) == 1
