"""R12 (issue 17) through HTTP with the whole system: a job seeker who already has an open
account cannot open a second one with a new code from the counter; only the person who
passes the code check is told (ACCOUNT_EXISTS), anyone else meets the generic mismatch."""

import time

import requests


def step2_once_known(flow, code: str, email: str, timeout: float = 15) -> requests.Response:
    """Step 2 with `email` as soon as registration has heard of the code (a 400 until the
    code.issued event arrives; each costs one of R4's ten failures, a few at most)."""
    deadline = time.monotonic() + timeout
    while True:
        response = flow.apply(code, email=email, email_confirmation=email)
        if response.status_code != 400:
            return response
        assert time.monotonic() < deadline, "registration never learned of the code"
        time.sleep(0.2)


def test_r12_a_new_code_for_a_person_with_an_account_answers_account_exists(flow, system):
    first = flow.issue()
    application = flow.apply_when_known(first["code"])
    done = flow.register_password(application["application_token"], flow.auth_key())
    assert done.status_code == 201, done.text

    again = flow.issue()  # the counter issues a new code for the same person
    other_email = f"second-{flow.email}"
    refused = step2_once_known(flow, again["code"], other_email)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "ACCOUNT_EXISTS"
    assert "ログイン" in error["message"] and "パスワードを忘れた" in error["message"]
    flow.headers["Accept-Language"] = "en"
    english = flow.apply(again["code"], email=other_email, email_confirmation=other_email)
    del flow.headers["Accept-Language"]
    assert english.status_code == 409 and "log in" in english.json()["error"]["message"]

    # A wrong code (or birth date) is the generic mismatch, byte for byte as for a number
    # that has no account at all: the account is not revealed.
    wrong_code = flow.apply("ABCDEFGHJK", email=other_email, email_confirmation=other_email)
    wrong_date = flow.apply(again["code"], email=other_email, email_confirmation=other_email,
                            birth_date="1991-04-01")
    nobody = flow.apply("ABCDEFGHJK", email=other_email, email_confirmation=other_email,
                        job_seeker_number="99999-87654321")
    for response in (wrong_code, wrong_date):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "IDENTITY_MISMATCH"
        assert response.content == nobody.content

    # The existing account is untouched; no mail went to the other address; the new code
    # is still unused at the counter (a closed account would let it open one, R18).
    assert flow.login().status_code == 201
    messages = requests.get(f"{system.mail_url}/api/messages", timeout=5).json()
    assert not [m for m in messages if other_email in str(m["to"])]
    assert flow.status_of(again["code_id"]) == "active"
