"""Issue 17 at the API level, every process running: the counter's `Idempotency-Key`
(DESIGN §4) makes a resubmitted issue give the first issue again without its code, exactly
once under concurrency, and the office view shows a person's account (R12)."""

import threading
import uuid

import requests

from testsupport import eventually

OFFICE = {"Authorization": "Bearer dev-office-key"}


def issue(system, flow, key: str | None, **body) -> requests.Response:
    headers = {**OFFICE, **({"Idempotency-Key": key} if key else {})}
    return requests.post(f"{system.code_issuer_url}/v1/codes", headers=headers, timeout=30,
                         json={"job_seeker_number": flow.number, "birth_date": flow.birth_date,
                               **body})


def test_r1_the_same_idempotency_key_gives_the_same_code_id_and_no_code(flow, system):
    key = f"counter-form-{uuid.uuid4()}"
    first = issue(system, flow, key)
    assert first.status_code == 201, first.text
    issued = first.json()
    assert issued["already_issued"] is False and issued["birth_date"] == flow.birth_date
    again = issue(system, flow, key)
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["already_issued"] is True and body["code_id"] == issued["code_id"]
    assert (body["issued_at"], body["expires_at"]) == (issued["issued_at"], issued["expires_at"])
    assert "code" not in body and issued["code"] not in again.text
    assert [c["code_id"] for c in flow.office_view()] == [issued["code_id"]]
    # nothing was superseded: the slip's code still opens step 2
    assert flow.apply_when_known(issued["code"])["email"] == flow.email
    assert flow.status_of(issued["code_id"]) == "active"


def test_r1_concurrent_submissions_of_one_key_issue_exactly_one_code(flow, system):
    key = f"counter-form-{uuid.uuid4()}"
    clients = 6
    start = threading.Barrier(clients)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def submit():
        start.wait()
        response = issue(system, flow, key)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=submit) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r.status_code for r in answers) == [200] * (clients - 1) + [201], \
        [r.text for r in answers]
    assert len({r.json()["code_id"] for r in answers}) == 1
    assert sum("code" in r.json() for r in answers) == 1
    assert len(flow.office_view()) == 1


def test_the_same_key_for_another_person_is_refused(flow, new_flow, system):
    key = f"counter-form-{uuid.uuid4()}"
    assert issue(system, flow, key).status_code == 201
    other = new_flow()
    refused = issue(system, other, key)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert other.office_view() == []


def test_a_reissue_for_another_birth_date_needs_confirmation(flow, system):
    assert issue(system, flow, None).status_code == 201
    refused = issue(system, flow, None, birth_date="1990-04-02")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "BIRTH_DATE_DIFFERS"
    assert (error["recorded_birth_date"], error["birth_date"]) == (flow.birth_date, "1990-04-02")
    confirmed = issue(system, flow, None, birth_date="1990-04-02", birth_date_confirmed=True)
    assert confirmed.status_code == 201 and confirmed.json()["birth_date"] == "1990-04-02"


def test_r12_the_office_view_shows_the_account_once_registered(flow, system):
    def person() -> dict:
        response = requests.get(f"{system.code_issuer_url}/v1/job-seekers/{flow.number}",
                                headers=OFFICE, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    issued = flow.issue()
    assert person()["account_status"] == "none"
    application = flow.apply_when_known(issued["code"])
    done = flow.register_password(application["application_token"], flow.auth_key())
    assert done.status_code == 201, done.text
    view = eventually(lambda: person()["account_status"] == "open" and person(), timeout=15)
    assert view["account_since"] is not None and view["known"] is True
