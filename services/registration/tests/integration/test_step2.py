"""Step 2 through the HTTP API: R4 counting, R5 answers, R6 email, R9 mails (real servers)."""

from datetime import timedelta

import pytest

from shared.contracts.events import parse_envelope

pytestmark = pytest.mark.integration


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


def failures(conn, code_id):
    return conn.execute("SELECT failed_attempts FROM codes WHERE code_id = %s",
                        (code_id,)).fetchone()[0]


def test_r4_each_wrong_triple_counts_one_failure_and_format_errors_none(apply, bus, conn):
    code_id, code, number = bus.issue()
    assert error(apply(code, number, birth_date="1990-01-03")) == (400, "IDENTITY_MISMATCH")
    assert error(apply("ABCDEFGHJK", number)) == (400, "IDENTITY_MISMATCH")
    assert failures(conn, code_id) == 2
    assert apply("ABCDE", number).status_code == 422  # wrong format: not a failure
    assert apply(code, number, birth_date="1990-02-30").status_code == 422
    assert failures(conn, code_id) == 2


def test_r4_a_code_entered_under_another_number_counts_against_both_codes(apply, bus, conn):
    mine_id, mine, number = bus.issue()
    other_id, other, _ = bus.issue()
    assert error(apply(other, number)) == (400, "IDENTITY_MISMATCH")
    assert failures(conn, mine_id) == 1 and failures(conn, other_id) == 1


def test_r4_tenth_failure_invalidates_the_code_and_even_correct_input_is_refused_after(
        apply, bus, conn, mailbox, published, rows):
    code_id, code, number = bus.issue()
    for _ in range(9):
        assert error(apply(code, number, birth_date="1991-01-02")) == (400, "IDENTITY_MISMATCH")
    assert rows("codes", "invalidated_at IS NULL AND code_id = %s", (code_id,)) == 1
    assert error(apply(code, number, birth_date="1991-01-02")) == (400, "IDENTITY_MISMATCH")
    assert failures(conn, code_id) == 10
    assert error(apply(code, number)) == (410, "CODE_INVALIDATED")
    assert error(apply(code, number, birth_date="1991-01-02")) == (400, "IDENTITY_MISMATCH")
    assert failures(conn, code_id) == 10
    mailbox.relay.run_once()
    invalidated = [parse_envelope(e) for e in published.drain()
                   if e["type"] == "code.invalidated"]
    assert len(invalidated) == 1
    assert invalidated[0].payload == {"code_id": str(code_id), "reason": "too_many_attempts",
                                      "failed_attempts": 10}


def test_r4_the_limit_is_configurable(make_client, bus, good_body, conn):
    client = make_client(max_failed_attempts=3)
    code_id, code, number = bus.issue()
    for _ in range(3):
        client.post("/v1/applications", json=good_body("ZZZZZZZZZZ", number))
    assert failures(conn, code_id) == 3
    assert error(client.post("/v1/applications", json=good_body(code, number))) == (
        410, "CODE_INVALIDATED")


def test_r5_unknown_number_wrong_birth_date_and_wrong_code_answer_byte_identically(
        apply, bus, client):
    _, code, number = bus.issue()
    answers = [apply(code, "99999-99999999"), apply(code, number, birth_date="1980-01-02"),
               apply("ZZZZZZZZZZ", number), apply(code[:9] + ("0" if code[9] != "0" else "1"),
                                                  number)]
    assert {(a.status_code, a.data) for a in answers} == {(400, answers[0].data)}
    assert answers[0].get_json()["error"]["code"] == "IDENTITY_MISMATCH"


def test_r5_re_issue_makes_the_old_code_superseded_only_when_the_triple_matches(
        apply, bus, clock):
    old_id, old, number = bus.issue()
    clock.advance(hours=1)
    new_id, new, _ = bus.issue(number=number, supersedes=[old_id])
    assert error(apply(old, number)) == (410, "CODE_SUPERSEDED")
    assert error(apply(old, number, birth_date="1990-01-03")) == (400, "IDENTITY_MISMATCH")
    assert error(apply(old, "12345-1")) == (400, "IDENTITY_MISMATCH")
    assert apply(new, number).status_code == 201


def test_r5_revoked_code_is_told_only_to_the_full_triple(apply, bus):
    code_id, code, number = bus.issue()
    bus.publish("code.revoked", {"code_id": code_id, "reason": "revoked_by_office"})
    assert error(apply(code, number)) == (410, "CODE_REVOKED")
    assert error(apply(code, number, birth_date="2000-01-01")) == (400, "IDENTITY_MISMATCH")


def test_r2_r5_expiry_is_checked_with_the_app_clock_even_before_beats_event(apply, bus, clock):
    code_id, code, number = bus.issue()
    clock.advance(days=6)
    assert error(apply(code, number)) == (410, "CODE_EXPIRED")
    assert error(apply("ABCDEFGHJK", number)) == (400, "IDENTITY_MISMATCH")
    other_id, other, other_number = bus.issue()
    bus.publish("code.expired", {"code_id": other_id, "expired_at": clock.now()})
    assert error(apply(other, other_number)) == (410, "CODE_EXPIRED")


def test_r5_r12_a_used_code_answers_code_already_used(apply, account):
    assert error(apply(account["code"], account["number"], email="other@example.jp")) == (
        409, "CODE_ALREADY_USED")
    assert error(apply(account["code"], account["number"], birth_date="1970-01-01")) == (
        400, "IDENTITY_MISMATCH")


def test_r6_email_taken_is_told_only_after_the_code_check_passed(apply, bus, account):
    email = account["email"]
    _, code, number = bus.issue()
    assert error(apply("ABCDEFGHJK", number, email=email.upper())) == (400, "IDENTITY_MISMATCH")
    assert error(apply(code, number, email=email.upper())) == (409, "EMAIL_ALREADY_REGISTERED")


def test_r9_a_new_passing_step2_voids_the_earlier_open_application(
        apply, register, bus, mailbox):
    _, code, number = bus.issue()
    first = apply(code, number).get_json()["application_token"]
    first_key = mailbox.last_key()
    second = apply(code, number).get_json()["application_token"]
    second_key = mailbox.last_key()
    assert error(register(first, first_key)) == (404, "APPLICATION_NOT_FOUND")
    assert register(second, second_key).status_code == 201


def test_r9_at_most_5_auth_key_mails_per_code_per_hour(apply, bus, clock, mailbox, rows):
    _, code, number = bus.issue()
    for _ in range(5):
        assert apply(code, number).status_code == 201
        clock.advance(minutes=10)
    limited = apply(code, number)
    assert error(limited) == (429, "MAIL_LIMIT_REACHED")
    assert int(limited.headers["Retry-After"]) == 10 * 60  # the first mail leaves the hour
    assert rows("applications", "status = 'open'") == 1
    assert len(mailbox.tasks()) == 5
    clock.advance(minutes=10)
    assert apply(code, number).status_code == 201


def test_every_step2_attempt_is_audited_without_secrets(client, bus, conn, good_body):
    code_id, code, number = bus.issue()
    client.post("/v1/applications", json=good_body(code, number, birth_date="1999-09-09"))
    client.post("/v1/applications", json=good_body(code, number),
                headers={"X-Forwarded-For": "203.0.113.7"})  # behind the trusted gateway
    audit = conn.execute("SELECT action, client_address, outcome, code_id, application_id "
                         "FROM audit_log ORDER BY id").fetchall()
    assert [row[:4] for row in audit] == [
        ("application", "127.0.0.1", "IDENTITY_MISMATCH", code_id),
        ("application", "203.0.113.7", "CREATED", code_id)]
    assert audit[0][4] is None and audit[1][4] is not None
    text = conn.execute("SELECT string_agg(row_to_json(a)::text, ' ') FROM audit_log a"
                        ).fetchone()[0]
    assert code not in text and "1999-09-09" not in text and "taro@" not in text


def test_r7_a_birth_date_that_is_today_by_the_office_clock_is_refused(apply, bus, clock):
    _, code, number = bus.issue()
    clock.set(clock.now().replace(hour=16))  # 01:00 JST of the next day
    today_jst = (clock.now() + timedelta(hours=9)).date()
    response = apply(code, number, birth_date=str(today_jst))
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["birth_date"]
    assert apply(code, number, birth_date="1990-01-02").status_code == 201


def test_item11_an_email_with_a_65_character_local_part_is_refused_in_both_languages(
        client, bus, good_body, rows):
    _, code, number = bus.issue()
    email = "a" * 65 + "@example.jp"
    for lang, text in (("en", "The part before the @ must be at most 64 characters."),
                       ("ja", "メールアドレスの@より前の部分は64文字以内で入力してください。")):
        refused = client.post("/v1/applications", json=good_body(code, number, email=email),
                              headers={"Accept-Language": lang})
        assert error(refused) == (422, "VALIDATION_FAILED")
        assert refused.get_json()["error"]["fields"]["email"] == [text]
    assert rows("applications") == 0
    email = "a" * 64 + "@example.jp"
    assert client.post("/v1/applications",
                       json=good_body(code, number, email=email)).status_code == 201


def test_item12_after_five_mails_a_registered_and_a_free_email_answer_alike(
        apply, bus, clock, mailbox, account, rows):
    _, code, number = bus.issue()
    for _ in range(5):
        assert apply(code, number).status_code == 201
        clock.advance(minutes=1)
    taken = apply(code, number, email=account["email"])
    free = apply(code, number, email="nobody.else@example.jp")
    assert error(taken) == error(free) == (429, "MAIL_LIMIT_REACHED")
    assert taken.headers["Retry-After"] == free.headers["Retry-After"]
    assert taken.get_json()["error"]["message"] == free.get_json()["error"]["message"]
    assert rows("audit_log", "outcome = 'EMAIL_ALREADY_REGISTERED'") == 0
