"""Issue 17's counter traps walked in Chromium against the whole running system: reloading
the slip issues nothing, a resubmitted form gives the already-issued page (a reprint
without the code), a person's account is stated before issuing and needs confirming, the
failed attempts show live with where the last came from, a different birth date needs
confirming with both dates shown, and no counter screen overflows at 320 px."""

from __future__ import annotations

import random
import re
import time

import pytest
import requests
from playwright.sync_api import Page, expect

from .conftest import accessible, auth_key_mail, new_page, screenshot

pytestmark = pytest.mark.integration
OFFICE = {"Authorization": "Bearer dev-office-key"}
BIRTH = "1990-04-01"
PASSWORD = "Hello-w0rk-2026"
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


def new_number() -> str:
    return f"{random.randint(10000, 99999)}-{random.randint(1, 99999999)}"


def office_codes(system, number: str) -> list[dict]:
    response = requests.get(f"{system.code_issuer_url}/v1/codes", headers=OFFICE, timeout=10,
                            params={"job_seeker_number": number})
    assert response.status_code == 200, response.text
    return response.json()


def no_horizontal_overflow(page: Page, name: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow} px of horizontal overflow"


@pytest.fixture
def counter(browser, system):
    page = new_page(browser, system)
    page.goto("/counter")
    page.fill("#office_key", OFFICE["Authorization"].split()[1])
    page.get_by_role("button", name="サインイン").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("窓口：アカウント作成コード発行")
    yield page
    page.context.close()


def look_up(page: Page, number: str) -> None:
    page.goto("/counter")
    page.fill("#job_seeker_number", number)
    page.get_by_role("button", name="検索").click()
    expect(page.locator("#issue-job_seeker_number")).to_have_value(number)


def issue(page: Page, birth_date: str = BIRTH) -> None:
    page.fill("#issue-birth_date", birth_date)
    page.get_by_role("button", name="発行する").click()


def test_issue17_reloading_the_slip_or_resubmitting_the_form_issues_nothing(counter, system):
    number = new_number()
    look_up(counter, number)
    form_key = counter.locator("input[name=idempotency_key]").input_value()
    issue(counter)
    expect(counter.get_by_role("heading", level=1)).to_have_text("アカウント作成コードのお知らせ")
    assert re.search(r"/counter/slip/[0-9a-f-]{36}$", counter.url)
    code = counter.locator("#slip-code").inner_text()
    assert CODE.fullmatch(code) and code.replace("-", "") not in counter.url
    expect(counter.locator("#slip-birth-date")).to_have_text("1990年4月1日")
    [issued] = office_codes(system, number)

    counter.reload()  # the slip page again: nothing issued, the code is not shown again
    expect(counter.get_by_role("heading", level=1)).to_have_text("このコードは発行済みです")
    assert code not in counter.content()
    expect(counter.locator("#slip-code-id")).to_have_text(issued["code_id"])
    expect(counter.locator("#slip-birth-date")).to_have_text("1990年4月1日")
    expect(counter.get_by_role("button", name="印刷する")).to_be_visible()
    accessible(counter, "40-counter-already-issued")

    counter.go_back()  # Back: the look-up page, rendered anew; nothing is resent
    expect(counter.get_by_role("heading", level=1)).to_have_text("窓口：アカウント作成コード発行")
    # The same form sent again (a resubmission, a double click): its key was used already.
    counter.locator("input[name=idempotency_key]").evaluate(
        "(input, key) => { input.value = key; }", form_key)
    issue(counter)
    expect(counter.get_by_role("heading", level=1)).to_have_text("このコードは発行済みです")
    assert code not in counter.content()
    assert [c["code_id"] for c in office_codes(system, number)] == [issued["code_id"]]
    assert office_codes(system, number)[0]["status"] == "active"


def test_issue17_a_double_click_on_issue_issues_one_code_and_shows_it(counter, system):
    number = new_number()
    look_up(counter, number)
    counter.fill("#issue-birth_date", BIRTH)
    counter.get_by_role("button", name="発行する").dblclick()
    expect(counter.get_by_role("heading", level=1)).to_have_text(
        re.compile("アカウント作成コードのお知らせ|このコードは発行済みです"))
    assert len(office_codes(system, number)) == 1


def register_account(system, number: str) -> None:
    """The job seeker opens My Page through the public API (the browser walk of it is in
    test_portal_in_a_browser)."""
    code = requests.post(f"{system.code_issuer_url}/v1/codes", headers=OFFICE, timeout=10,
                         json={"job_seeker_number": number, "birth_date": BIRTH}).json()["code"]
    terms = requests.get(f"{system.registration_url}/v1/terms", timeout=10).json()
    email = f"js{random.randint(0, 10**9)}@example.jp"
    body = {"privacy_policy_version": terms["privacy_policy"]["version"],
            "terms_of_use_version": terms["terms_of_use"]["version"], "email": email,
            "email_confirmation": email, "job_seeker_number": number, "birth_date": BIRTH,
            "account_creation_code": code}
    deadline = time.monotonic() + 20
    while (applied := requests.post(f"{system.registration_url}/v1/applications", json=body,
                                    timeout=10)).status_code != 201:
        assert time.monotonic() < deadline, applied.text
        time.sleep(0.3)
    done = requests.post(f"{system.registration_url}/v1/password-registrations", timeout=30, json={
        "application_token": applied.json()["application_token"],
        "auth_key": auth_key_mail(system, email), "password": PASSWORD,
        "password_confirmation": PASSWORD})
    assert done.status_code == 201, done.text


def test_r12_the_counter_states_an_account_and_asks_to_confirm_before_issuing(counter, system):
    number = new_number()
    register_account(system, number)
    deadline = time.monotonic() + 20
    look_up(counter, number)
    while "アカウント登録済み" not in counter.locator("#account-status").inner_text():
        assert time.monotonic() < deadline, "the counter never saw the account"
        time.sleep(0.5)
        counter.reload()
    expect(counter.locator("#account-status")).to_contain_text(
        re.compile(r"アカウント登録済み（\d{4}年\d{1,2}月\d{1,2}日から）"))
    accessible(counter, "41-counter-account-exists")
    before = len(office_codes(system, number))
    issue(counter)
    expect(counter.get_by_role("heading", level=1)).to_have_text("発行前の確認")
    expect(counter.locator("#confirm-account")).to_contain_text("この方はアカウント登録済みです")
    assert counter.url.endswith("/counter/confirm")
    accessible(counter, "42-counter-confirm-account")
    counter.reload()  # the confirmation page reloads without issuing
    assert len(office_codes(system, number)) == before
    counter.get_by_role("button", name="確認のうえ発行する").click()
    expect(counter.get_by_role("heading", level=1)).to_have_text("アカウント作成コードのお知らせ")
    assert len(office_codes(system, number)) == before + 1

    counter.goto("/counter?lang=en")  # the person looked up stays beside the session
    expect(counter.locator("#account-status")).to_contain_text(
        re.compile(r"Has an account \(since \d{1,2} \w+ \d{4}\)"))


def test_issue17_the_counter_shows_failed_attempts_live_and_where_they_came_from(counter, system):
    number = new_number()
    code = requests.post(f"{system.code_issuer_url}/v1/codes", headers=OFFICE, timeout=10,
                         json={"job_seeker_number": number, "birth_date": BIRTH}).json()["code"]
    terms = requests.get(f"{system.registration_url}/v1/terms", timeout=10).json()
    body = {"privacy_policy_version": terms["privacy_policy"]["version"],
            "terms_of_use_version": terms["terms_of_use"]["version"],
            "email": "wrong@example.jp", "email_confirmation": "wrong@example.jp",
            "job_seeker_number": number, "birth_date": BIRTH, "account_creation_code": code}
    headers = {"X-Forwarded-For": "198.51.100.23"}
    deadline = time.monotonic() + 20
    while requests.post(f"{system.registration_url}/v1/applications", json=body, headers=headers,
                        timeout=10).status_code != 201:  # until registration knows the code
        assert time.monotonic() < deadline
        time.sleep(0.3)
    for _ in range(3):
        wrong = requests.post(f"{system.registration_url}/v1/applications", headers=headers,
                              json={**body, "birth_date": "1991-04-01"}, timeout=10)
        assert wrong.status_code == 400
    look_up(counter, number)
    deadline = time.monotonic() + 20
    while counter.locator("tbody tr td").nth(3).inner_text() != "3":
        assert time.monotonic() < deadline, "the counter never saw the failures"
        time.sleep(0.5)
        counter.reload()
    expect(counter.locator("tbody tr .last-failure")).to_contain_text("198.51.100.0/24 から")
    expect(counter.locator("tbody tr .last-failure")).to_contain_text("（日本時間）")
    expect(counter.get_by_role("columnheader", name="最後の誤入力")).to_be_visible()
    accessible(counter, "43-counter-failed-attempts")


def test_issue17_a_different_birth_date_asks_to_confirm_showing_both(counter, system):
    number = new_number()
    look_up(counter, number)
    issue(counter)
    expect(counter.get_by_role("heading", level=1)).to_have_text("アカウント作成コードのお知らせ")
    look_up(counter, number)
    issue(counter, "1990/4/2")
    expect(counter.get_by_role("heading", level=1)).to_have_text("発行前の確認")
    expect(counter.locator("#recorded-birth-date")).to_have_text("1990年4月1日")
    expect(counter.locator("#typed-birth-date")).to_have_text("1990年4月2日")
    accessible(counter, "44-counter-confirm-birth-date")
    assert len(office_codes(system, number)) == 1
    counter.get_by_role("button", name="確認のうえ発行する").click()
    expect(counter.get_by_role("heading", level=1)).to_have_text("アカウント作成コードのお知らせ")
    expect(counter.locator("#slip-birth-date")).to_have_text("1990年4月2日")
    assert [c["status"] for c in office_codes(system, number)] == ["active", "superseded"]


def test_issue17_no_counter_screen_overflows_at_320_px(counter, system):
    number = new_number()
    counter.set_viewport_size({"width": 320, "height": 640})
    look_up(counter, number)
    issue(counter)
    expect(counter.locator("#slip-code")).to_be_visible()
    no_horizontal_overflow(counter, "slip")
    counter.set_viewport_size({"width": 375, "height": 740})
    screenshot(counter, "45-counter-slip-375")
    counter.set_viewport_size({"width": 320, "height": 640})
    counter.reload()
    expect(counter.get_by_role("heading", level=1)).to_have_text("このコードは発行済みです")
    no_horizontal_overflow(counter, "already issued")
    counter.set_viewport_size({"width": 375, "height": 740})
    screenshot(counter, "46-counter-already-issued-375")
    counter.set_viewport_size({"width": 320, "height": 640})
    look_up(counter, number)
    no_horizontal_overflow(counter, "look-up with codes and account")
    issue(counter, "1990-04-02")
    expect(counter.get_by_role("heading", level=1)).to_have_text("発行前の確認")
    no_horizontal_overflow(counter, "confirmation")
    counter.goto("/counter/signin")
    no_horizontal_overflow(counter, "sign-in")
