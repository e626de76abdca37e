"""One end-to-end test per feature, through HTTP only, against every process running."""

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from testsupport import eventually

JST = ZoneInfo("Asia/Tokyo")


def test_happy_path_from_issue_at_the_counter_to_my_page(flow, system):
    issued = flow.issue()
    application = flow.apply_when_known(issued["code"])
    assert application["email"] == flow.email
    key = flow.auth_key()
    done = flow.register_password(application["application_token"], key)
    assert done.status_code == 201, done.text
    assert done.json()["email"] == flow.email
    login = flow.login()
    assert login.status_code == 201, login.text
    me = requests.get(f"{system.registration_url}/v1/me", timeout=10,
                      headers={"Authorization": f"Bearer {login.json()['session_token']}"})
    assert me.status_code == 200
    assert me.json()["job_seeker_number"] == flow.number and me.json()["email"] == flow.email
    eventually(lambda: flow.status_of(issued["code_id"]) == "used", timeout=15)

    def completion_notice() -> dict | None:  # issue 17: mailed after step 3
        messages = requests.get(f"{system.mail_url}/api/messages", timeout=5).json()
        return next((m for m in messages if flow.email in str(m["to"])
                     and m["subject"] == "パスワード登録完了のお知らせ"), None)

    eventually(lambda: completion_notice() is not None, timeout=20)
    notice = completion_notice()
    assert "お心当たり" in notice["text"] and key not in notice["text"]


def test_reissue_makes_the_lost_code_superseded(flow):
    first = flow.issue()
    second = flow.issue()
    assert second["superseded"] == [first["code_id"]]
    flow.apply_when_known(second["code"])
    refused = flow.apply(first["code"])
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "CODE_SUPERSEDED"
    assert flow.status_of(first["code_id"]) == "superseded"


def test_ten_wrong_entries_invalidate_the_code_and_the_office_sees_why(flow):
    issued = flow.issue()
    flow.apply_when_known(issued["code"])  # known to registration; one open application
    for _ in range(10):
        wrong = flow.apply(issued["code"], birth_date="1991-04-01")
        assert wrong.status_code == 400
        assert wrong.json()["error"]["code"] == "IDENTITY_MISMATCH"
    refused = flow.apply(issued["code"])
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "CODE_INVALIDATED"
    eventually(lambda: flow.status_of(issued["code_id"]) == "invalidated", timeout=15)
    view = next(c for c in flow.office_view() if c["code_id"] == issued["code_id"])
    assert view["failed_attempts"] == 10


def test_item9_the_office_sees_each_wrong_entry_within_seconds_with_where_it_came_from(flow):
    issued = flow.issue()
    flow.apply_when_known(issued["code"])  # known to registration
    for _ in range(3):
        wrong = flow.apply(issued["code"], birth_date="1991-04-01")
        assert wrong.json()["error"]["code"] == "IDENTITY_MISMATCH"

    def view():
        code = next(c for c in flow.office_view() if c["code_id"] == issued["code_id"])
        return code if code["failed_attempts"] == 3 else None

    code = eventually(view, timeout=5, interval=0.2)
    network = flow.headers["X-Forwarded-For"].rsplit(".", 1)[0] + ".0/24"
    assert code["status"] == "active" and code["last_failure_from"] == network
    assert code["last_failure_at"] is not None


def test_a_closed_password_screen_starts_again_with_the_same_code(flow):
    issued = flow.issue()
    lost = flow.apply_when_known(issued["code"])
    flow.auth_key()
    again = flow.apply(issued["code"])
    assert again.status_code == 201, again.text
    key = flow.auth_key(after=1)
    stale = flow.register_password(lost["application_token"], key)
    assert stale.status_code == 404
    assert stale.json()["error"]["code"] == "APPLICATION_NOT_FOUND"
    done = flow.register_password(again.json()["application_token"], key)
    assert done.status_code == 201, done.text


def test_an_email_can_open_only_one_account(flow, new_flow):
    issued = flow.issue()
    application = flow.apply_when_known(issued["code"])
    assert flow.register_password(application["application_token"],
                                  flow.auth_key()).status_code == 201
    other = new_flow()
    other.email = flow.email.upper()
    other_code = other.issue()

    def answer_once_code_is_known():
        response = other.apply(other_code["code"])
        # a tuple, since a 4xx Response is itself falsy
        return (response,) if response.status_code != 400 else None

    (response,) = eventually(answer_once_code_is_known, timeout=15, interval=0.2)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "EMAIL_ALREADY_REGISTERED"


# The clock tests move every process's clock forward, so they run last and in this order.

def test_zz1_code_valid_until_the_fifth_day_2359_jst_and_expired_at_0000(flow, system):
    system.move_clock(datetime(2030, 4, 1, 10, 0, tzinfo=JST))
    issued = flow.issue()
    assert issued["expires_at"].startswith("2030-04-06T14:59:59") or issued[
        "expires_at"].startswith("2030-04-06T15:00:00")
    system.move_clock(datetime(2030, 4, 6, 23, 59, 58, tzinfo=JST))
    flow.apply_when_known(issued["code"])
    system.move_clock(datetime(2030, 4, 7, 0, 0, 0, tzinfo=JST))
    expired = flow.apply(issued["code"])
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "CODE_EXPIRED"
    eventually(lambda: flow.status_of(issued["code_id"]) == "expired", timeout=20)


def test_zz2_auth_key_valid_for_fifty_minutes_from_delivery(flow, new_flow, system):
    start = datetime(2030, 6, 1, 9, 0, tzinfo=JST)
    system.move_clock(start)
    issued = flow.issue()
    application = flow.apply_when_known(issued["code"])
    key = flow.auth_key()
    system.move_clock(start + timedelta(minutes=50, seconds=5))
    late = flow.register_password(application["application_token"], key)
    assert late.status_code == 410, late.text
    assert late.json()["error"]["code"] == "AUTH_KEY_EXPIRED"

    other = new_flow()
    start = datetime(2030, 6, 2, 9, 0, tzinfo=JST)
    system.move_clock(start)
    issued = other.issue()
    application = other.apply_when_known(issued["code"])
    key = other.auth_key()
    system.move_clock(start + timedelta(minutes=49))
    done = other.register_password(application["application_token"], key)
    assert done.status_code == 201, done.text


def test_a_correlation_id_follows_the_request_to_the_mail_task_and_back(flow, system):
    issued = flow.issue()
    correlation = f"e2e-{issued['code_id']}"
    flow.headers["X-Correlation-ID"] = correlation
    flow.apply_when_known(issued["code"])
    flow.auth_key()

    def logged_by(process):
        return correlation in (system.logs / f"{process}.log").read_text(errors="replace")

    eventually(lambda: logged_by("notifier-worker"), timeout=10)
    eventually(lambda: logged_by("registration-consumer"), timeout=10)  # auth_key.mailed


def test_a_w3c_traceparent_becomes_the_id_that_follows_the_registration_to_the_mail(
        flow, system):
    issued = flow.issue()
    trace = uuid.uuid4().hex
    flow.headers["traceparent"] = f"00-{trace}-00f067aa0ba902b7-01"
    flow.apply_when_known(issued["code"])
    flow.auth_key()

    def lines(process):
        text = (system.logs / f"{process}.log").read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines()
                if line.startswith("{") and trace in line]

    eventually(lambda: any(line.get("message") == "auth-key mail delivered"
                           for line in lines("notifier-worker")), timeout=10)
    access = [line for line in lines("registration") if line.get("message") == "request"]
    assert {(line["route"], line["status"]) for line in access} >= {("/v1/applications", 201)}
    assert all(line["correlation_id"] == trace for line in access)


def test_every_service_serves_health_readiness_and_metrics(system):
    for base in (system.code_issuer_url, system.registration_url, system.portal_url,
                 system.notifier_health_url):
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200, base
        ready = requests.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200, (base, ready.text)
        metrics = requests.get(f"{base}/metrics", timeout=5)
        assert metrics.status_code == 200 and "# TYPE" in metrics.text, base
    notifier = requests.get(f"{system.notifier_health_url}/metrics", timeout=5).text
    assert "notifier_deliveries" in notifier and "notifier_outbox_unpublished" in notifier
