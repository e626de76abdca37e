"""Issue 17 at the office API: idempotent issuing (DESIGN §4 `Idempotency-Key`), a re-issue
for another birth date only once staff confirm it, and R12's account status from
registration's account.* events."""

import threading
import uuid
from datetime import timedelta

import pytest
import requests

from testsupport import eventually

pytestmark = pytest.mark.integration

NUMBER = "12345-1234567"
KEY = {"Idempotency-Key": "counter-form-7f3a9c"}


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


def codes_in_database(pool) -> int:
    with pool.connection() as conn:
        return conn.execute("SELECT count(*) FROM codes").fetchone()[0]


# --- Idempotency-Key ----------------------------------------------------------------------
def test_r1_the_same_idempotency_key_answers_the_first_issue_again_without_the_code(
        office, clock, pool, relay, published):
    first = office.issue(**KEY)
    assert first.status_code == 201
    issued = first.get_json()
    assert issued["already_issued"] is False and issued["birth_date"] == "1990-01-02"
    clock.advance(minutes=3)
    again = office.issue(**KEY)
    assert again.status_code == 200
    body = again.get_json()
    assert body == {
        "code_id": issued["code_id"], "job_seeker_number": NUMBER, "birth_date": "1990-01-02",
        "issued_at": issued["issued_at"], "expires_at": issued["expires_at"],
        "valid_until": issued["valid_until"], "superseded": [], "already_issued": True,
        "status": "active",
    }
    assert "code" not in body and issued["code"] not in again.get_data(as_text=True)
    assert codes_in_database(pool) == 1
    assert relay.run_once() == 1  # one code.issued, no code.revoked
    assert [e["type"] for e in eventually(lambda: published.drain())] == ["code.issued"]
    assert office.status(issued["code_id"])["status"] == "active"


def test_r3_a_repeated_reissue_gives_the_first_answer_s_superseded_and_supersedes_nothing(
        office, clock):
    old = office.issue().get_json()
    clock.advance(minutes=1)
    reissued = office.issue(**KEY).get_json()
    assert reissued["superseded"] == [old["code_id"]]
    clock.advance(minutes=1)
    again = office.issue(**KEY).get_json()
    assert again["superseded"] == [old["code_id"]] and again["code_id"] == reissued["code_id"]
    assert [c["status"] for c in office.codes()] == ["active", "superseded"]


def test_r1_a_repeated_key_reports_the_code_s_status_now(office, clock):
    first = office.issue(**KEY).get_json()
    clock.advance(minutes=1)
    office.issue(**{"Idempotency-Key": "another-form"})
    again = office.issue(**KEY).get_json()
    assert again["code_id"] == first["code_id"] and again["status"] == "superseded"


def test_the_same_key_for_another_person_or_birth_date_is_refused_and_issues_nothing(office, pool):
    assert office.issue(**KEY).status_code == 201
    other_person = office.issue(number="12345-7654321", **KEY)
    assert error(other_person) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert "Idempotency-Key" in other_person.get_json()["error"]["message"]
    assert error(office.issue(birth_date="1990-01-03", confirmed=True, **KEY)) == (
        422, "IDEMPOTENCY_KEY_REUSED")
    assert codes_in_database(pool) == 1


@pytest.mark.parametrize("value", ["", "   ", "x" * 101, "tab\tin"])
def test_a_malformed_idempotency_key_is_422_naming_the_header(office, pool, value):
    response = office.issue(**{"Idempotency-Key": value})
    assert error(response) == (422, "VALIDATION_FAILED")
    assert list(response.get_json()["error"]["fields"]) == ["Idempotency-Key"]
    assert codes_in_database(pool) == 0


def test_idempotency_keys_are_kept_per_office_key(client, office, pool):
    first = office.issue(**KEY).get_json()
    other = client.post("/v1/codes", json={"job_seeker_number": NUMBER, "birth_date": "1990-01-02"},
                        headers={"Authorization": "Bearer second-office-key", **KEY})
    assert other.status_code == 201 and other.get_json()["code_id"] != first["code_id"]


def test_idempotency_keys_last_24_hours_and_are_then_purged(office, clock, pool):
    first = office.issue(**KEY).get_json()
    clock.advance(hours=24)
    later = office.issue(**KEY)
    assert later.status_code == 201 and later.get_json()["code_id"] != first["code_id"]
    clock.advance(hours=23)
    office.issue(number="12345-2", **{"Idempotency-Key": "another"})
    with pool.connection() as conn:
        kept = conn.execute("SELECT code_id FROM issue_requests ORDER BY created_at").fetchall()
    assert [str(r[0]) for r in kept][0] == later.get_json()["code_id"] and len(kept) == 2
    clock.advance(hours=2)
    office.issue(number="12345-3", **{"Idempotency-Key": "a-third"})
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM issue_requests").fetchone()[0] == 2


def test_the_idempotency_key_and_the_office_key_are_stored_only_as_digests(office, dump_database):
    secret_key = {"Idempotency-Key": "idem-" + uuid.uuid4().hex}
    office.issue(**secret_key)
    stored = dump_database()
    assert secret_key["Idempotency-Key"] not in stored
    assert "dev-office-key" not in stored


def test_a_refused_submission_keeps_no_key_so_its_confirmed_resubmission_issues(office, clock):
    office.issue()
    clock.advance(minutes=1)
    refused = office.issue(birth_date="1990-01-03", **KEY)
    assert error(refused) == (409, "BIRTH_DATE_DIFFERS")
    confirmed = office.issue(birth_date="1990-01-03", confirmed=True, **KEY)
    assert confirmed.status_code == 201
    # the form resubmitted without the confirmation is the same request: already issued
    again = office.issue(birth_date="1990-01-03", **KEY)
    assert again.status_code == 200 and again.get_json()["code_id"] == confirmed.get_json()["code_id"]


def test_r1_simultaneous_submissions_of_one_key_issue_exactly_one_code(server, pool):
    """Real concurrent HTTP clients against the threaded server and the real PostgreSQL."""
    clients = 8
    start = threading.Barrier(clients)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def submit():
        with requests.Session() as http:
            start.wait()
            response = http.post(f"{server}/v1/codes", timeout=30,
                                 json={"job_seeker_number": NUMBER, "birth_date": "1990-01-02"},
                                 headers={"Authorization": "Bearer dev-office-key", **KEY})
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=submit) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] * (clients - 1) + [201]
    assert len({r.json()["code_id"] for r in answers}) == 1
    assert sum("code" in r.json() for r in answers) == 1
    assert codes_in_database(pool) == 1


def test_openapi_documents_the_header_and_the_200_answer(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/v1/codes"]["post"]
    assert any(p["in"] == "header" and p["name"] == "Idempotency-Key"
               for p in operation["parameters"])
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/AlreadyIssued")


# --- a re-issue for another birth date ----------------------------------------------------
def test_reissue_for_another_birth_date_is_409_stating_both_dates_until_confirmed(office, clock):
    old = office.issue().get_json()
    clock.advance(minutes=1)
    refused = office.issue(birth_date="1990-01-03", **{"Accept-Language": "en"})
    assert error(refused) == (409, "BIRTH_DATE_DIFFERS")
    body = refused.get_json()["error"]
    assert body["recorded_birth_date"] == "1990-01-02" and body["birth_date"] == "1990-01-03"
    assert "confirm" in body["message"]
    assert office.status(old["code_id"])["status"] == "active"  # nothing changed
    reissued = office.issue(birth_date="1990-01-03", confirmed=True)
    assert reissued.status_code == 201 and reissued.get_json()["birth_date"] == "1990-01-03"
    assert office.status(old["code_id"])["status"] == "superseded"


def test_reissue_for_the_same_birth_date_or_with_none_needs_no_confirmation(office, clock):
    office.issue()
    clock.advance(minutes=1)
    assert office.issue().status_code == 201
    clock.advance(minutes=1)
    assert office.issue(birth_date=None).get_json()["birth_date"] == "1990-01-02"


# --- R12: the account's status at the counter ---------------------------------------------
def person(client, number=NUMBER, **headers):
    return client.get(f"/v1/job-seekers/{number}",
                      headers={"Authorization": "Bearer dev-office-key", **headers})


def account_registered(bus, at, account_id, number=NUMBER):
    return bus.event("account.registered", {
        "account_id": account_id, "job_seeker_number": number, "email": "js@example.jp",
        "registered_at": at, "privacy_policy_version": "2026-04-01",
        "terms_of_use_version": "2026-04-01"}, at)


def account_closed(bus, at, account_id, number=NUMBER):
    return bus.event("account.closed", {"account_id": account_id, "job_seeker_number": number,
                                        "closed_at": at, "reason": "withdrawal"}, at)


def test_r12_an_unknown_person_has_no_account(client):
    response = person(client)
    assert response.status_code == 200
    assert response.get_json() == {"job_seeker_number": NUMBER, "known": False, "birth_date": None,
                                   "closed": False, "account_status": "none",
                                   "account_since": None}


def test_r12_a_malformed_number_is_422_naming_it(client):
    response = person(client, "12-34")
    assert error(response) == (422, "VALIDATION_FAILED")
    assert list(response.get_json()["error"]["fields"]) == ["job_seeker_number"]
    assert person(client, "１２３４５－１２３４５６７").get_json()["job_seeker_number"] == NUMBER


def test_r12_the_job_seeker_view_needs_an_office_key(client):
    assert client.get(f"/v1/job-seekers/{NUMBER}").status_code == 401


def test_r12_account_registered_shows_the_account_open_since_its_registration(
        client, office, bus, consumer, clock):
    office.issue()
    at = clock.now().replace(microsecond=0)
    account_registered(bus, at, str(uuid.uuid4()))
    eventually(lambda: consumer.handled >= 1)
    view = person(client).get_json()
    assert view["known"] and view["birth_date"] == "1990-01-02"
    assert (view["account_status"], view["account_since"]) == ("open", at.isoformat().replace("+00:00", "Z"))


def test_r12_closed_before_its_registered_converges_on_closed(client, bus, consumer, clock, pool):
    account = str(uuid.uuid4())
    at = clock.now().replace(microsecond=0)
    account_closed(bus, at + timedelta(days=2), account)
    eventually(lambda: consumer.handled >= 1)
    assert person(client).get_json()["account_status"] == "closed"
    message = account_registered(bus, at, account)  # sent first, delivered last
    bus.publish(message, "account.registered")  # and delivered twice
    eventually(lambda: consumer.handled >= 2)
    view = person(client).get_json()
    assert view["account_status"] == "closed"
    assert view["account_since"] == (at + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    with pool.connection() as conn:
        row = conn.execute("SELECT registered_at, closed_at FROM accounts").fetchone()
    assert row == (at, at + timedelta(days=2))


def test_r18_a_new_account_after_a_closed_one_is_open(client, bus, consumer, clock):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    at = clock.now().replace(microsecond=0)
    account_registered(bus, at - timedelta(days=30), first)
    account_closed(bus, at - timedelta(days=10), first)
    account_registered(bus, at, second)
    eventually(lambda: consumer.handled >= 3)
    view = person(client).get_json()
    assert (view["account_status"], view["account_since"]) == ("open", at.isoformat().replace("+00:00", "Z"))
