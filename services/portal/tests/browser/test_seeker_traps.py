"""Issue 17's job-seeker traps and R15's forgotten-password screens, walked in Chromium
against the whole running system: each trap is shown closed, every screen is checked with
axe-core, photographed at desktop width and at 375 px, and measured at 375 and 320 px for
horizontal overflow.

Order matters at the end of the file: the last tests move every process's clock forward
(the key's 50 minutes, the reset key's, then the code's days), and the clock only goes on.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from shared.clock import FileClock

from .conftest import accessible, auth_key_mail, new_page, screenshot
from .test_portal_in_a_browser import (
    BIRTH,
    PASSWORD,
    agree_both,
    fill_details,
    issue_by_api,
    new_email,
    new_number,
    open_terms,
    submit_details,
)

pytestmark = pytest.mark.integration
NEW_PASSWORD = "Hello-w0rk-2027"
DESKTOP = {"width": 1000, "height": 800}


# --- measuring and photographing ---------------------------------------------------------
def fits(page: Page, name: str | None = None) -> None:
    """No horizontal overflow at 375 and 320 px (issue 17: phones); at 375 px the screen is
    photographed as `name`-375 beside the desktop one."""
    before = page.viewport_size or DESKTOP
    for width in (375, 320):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"{name or page.url} at {width} px: {overflow}"
        if width == 375 and name:
            screenshot(page, f"{name}-375")
    page.set_viewport_size(before)


def shoot(page: Page, name: str) -> None:
    """axe-clean, photographed at desktop width and at 375 px, and no overflow on phones."""
    accessible(page, name)
    fits(page, name)


def main_links(page: Page) -> list[str]:
    return page.locator("main a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def summary(page: Page):
    return page.locator(".error-summary")


# --- walking -----------------------------------------------------------------------------
def to_password_screen(page: Page, system, number: str | None = None,
                       email: str | None = None) -> tuple[str, str, str]:
    number, email = number or new_number(), email or new_email()
    code = issue_by_api(system, number)
    open_terms(page)
    agree_both(page)
    submit_details(page, email, number, code)
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワード登録")
    return number, email, code


def fill_password(page: Page, key: str, password: str = PASSWORD) -> None:
    page.fill("#password", password)
    page.fill("#password_confirmation", password)
    page.fill("#auth_key", key)
    page.get_by_role("button", name="完了").click()


def open_account(page: Page, system) -> tuple[str, str, str]:
    """Steps 1-4 in the browser: (number, email, code) of a new account."""
    number, email, code = to_password_screen(page, system)
    fill_password(page, auth_key_mail(system, email))
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワード登録完了")
    return number, email, code


def mails_to(system, email: str) -> list[dict]:
    messages = requests.get(f"{system.mail_url}/api/messages", timeout=5).json()
    return [m for m in messages if email in str(m["to"])]


def key_of_newest_mail(system, email: str, after: int, timeout: float = 20) -> str:
    """The 8-character key of the newest mail to `email` once more than `after` arrived."""
    deadline = time.monotonic() + timeout
    while True:
        mine = mails_to(system, email)
        if len(mine) > after:
            match = re.search(r"キー[^0-9A-Z]*([0-9A-HJKMNP-TV-Z]{8})\b", mine[0]["text"])
            assert match, mine[0]["text"]
            return match.group(1)
        assert time.monotonic() < deadline, f"no new mail to {email}"
        time.sleep(0.2)


def clock_now(system) -> datetime:
    """The moved clock every process reads (real time where it was never moved)."""
    return max(FileClock(str(system.clock_file)).now(), datetime.now(UTC))


def apply_by_api(system, number: str, code: str, address: str) -> requests.Response:
    """Step 2 straight at registration, as a client at `address` (behind the trusted proxy)."""
    terms = requests.get(f"{system.registration_url}/v1/terms", timeout=10).json()
    return requests.post(f"{system.registration_url}/v1/applications", timeout=10,
                         headers={"X-Forwarded-For": address}, json={
                             "privacy_policy_version": terms["privacy_policy"]["version"],
                             "terms_of_use_version": terms["terms_of_use"]["version"],
                             "email": "x@example.jp", "email_confirmation": "x@example.jp",
                             "job_seeker_number": number, "birth_date": BIRTH,
                             "account_creation_code": code})


def retry_while_unknown(page: Page, submit, timeout: float = 15) -> None:
    """Submit step 2 again while registration has not yet heard of a new code (the generic
    mismatch), then leave the page as the known code's answer left it."""
    deadline = time.monotonic() + timeout
    while True:
        submit()
        if page.url.endswith("/register/password") or \
                "正しくありません" not in summary(page).inner_text():
            return
        assert time.monotonic() < deadline, "registration never learned of the code"
        time.sleep(0.3)


# --- the password screen -----------------------------------------------------------------
def test_password_screen_keeps_what_was_typed_counts_tries_and_back_never_resends(system, page):
    _, email, _ = to_password_screen(page, system)
    expect(page.locator("#key-to-use")).to_contain_text("に送信した「パスワード登録申込受付通知」メール")
    key = auth_key_mail(system, email)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    fill_password(page, "ZZZZZZZZ")
    expect(page.locator("#auth_key-error")).to_contain_text("認証キーが正しくありません")
    expect(page.locator("#auth_key-error")).to_contain_text("あと4回")
    expect(page.locator("#password")).to_have_value(PASSWORD)
    expect(page.locator("#password_confirmation")).to_have_value(PASSWORD)
    expect(page.locator("#auth_key")).to_have_value("")
    # "start again" is neither under the error nor in the form: a section after the form.
    assert page.locator("main form a").count() == 0
    done = page.get_by_role("button", name="完了").bounding_box()
    again = page.get_by_role("link", name="はじめからやり直す").bounding_box()
    assert again["y"] > done["y"] + done["height"]
    shoot(page, "26-password-wrong-key")

    page.fill("#auth_key", key.lower())
    page.get_by_role("button", name="完了").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワード登録完了")
    sent = len(posts)
    for _ in range(3):  # Back through the refused and the completed POSTs: nothing resent
        page.go_back()
        expect(page.locator("main h1")).to_be_visible()
    assert len(posts) == sent
    page.reload()
    expect(page.locator("main h1")).to_be_visible()
    assert len(posts) == sent


def test_a_second_step_two_says_its_mail_replaces_the_earlier_one(system, page):
    number, email, code = to_password_screen(page, system)
    first_sent = page.locator("#key-to-use").inner_text()
    expect(page.locator("#replaces-earlier")).to_have_count(0)
    page.get_by_role("link", name="はじめからやり直す").click()
    agree_both(page)
    submit_details(page, email, number, code)
    expect(page.locator("#replaces-earlier")).to_contain_text("に送信したメールに代わるものです")
    expect(page.locator("#replaces-earlier")).to_contain_text("以前のメールの認証キーは使えません")
    earlier_time = re.search(r"(\d+時\d\d分)", first_sent).group(1)
    expect(page.locator("#replaces-earlier")).to_contain_text(earlier_time)
    shoot(page, "27-password-replaces-earlier")
    fill_password(page, key_of_newest_mail(system, email, after=1))
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワード登録完了")


# --- step 2 ------------------------------------------------------------------------------
def test_phone_number_without_hyphen_and_the_code_kept_after_every_error(browser, system):
    page = new_page(browser, system)
    page.set_viewport_size({"width": 320, "height": 700})
    number, email = new_number(), new_email()
    code = issue_by_api(system, number)
    open_terms(page)
    fits(page)
    agree_both(page)
    fits(page)
    field = page.locator("#job_seeker_number")
    expect(field).to_have_attribute("inputmode", "numeric")
    assert field.get_attribute("pattern") is None  # nothing asks for the hyphen
    expect(page.get_by_text("ハイフン（-）は省略して数字だけでも入力できます。")).to_be_visible()
    fill_details(page, email, number.replace("-", ""), "ZZZZZ-ZZZZZ")
    expect(summary(page)).to_contain_text("正しくありません")
    expect(page.locator("#account_creation_code")).to_have_value("ZZZZZ-ZZZZZ")
    fits(page)
    page.fill("#email_confirmation", "other@example.jp")
    page.fill("#account_creation_code", code)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#email_confirmation-error")).to_be_visible()
    expect(page.locator("#account_creation_code")).to_have_value(code)
    expect(page.locator("#job_seeker_number")).to_have_value(number.replace("-", ""))
    submit_details(page, email, number.replace("-", ""), code)
    fits(page)
    fill_password(page, auth_key_mail(system, email))
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワード登録完了")
    fits(page)
    page.get_by_role("link", name="ログイン画面へ進む").click()
    fits(page)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("求職者マイページ")
    expect(page.locator(".details")).to_contain_text(number)
    page.set_viewport_size(DESKTOP)
    fits(page, "12-mypage")
    page.context.close()


def test_invalidated_code_gives_the_counter_advice_once_and_keeps_the_code(system, page):
    number = new_number()
    code = issue_by_api(system, number)
    # Registration hears of the code (one application opens), then ten wrong entries from
    # other addresses invalidate it (R4; the per-address limits are not this test's).
    deadline = time.monotonic() + 15
    while apply_by_api(system, number, code, "10.9.0.1").status_code != 201:
        assert time.monotonic() < deadline, "registration never learned of the code"
        time.sleep(0.3)
    for wrong in range(10):
        answer = apply_by_api(system, number, "ZZZZZZZZZZ", f"10.9.{wrong}.7")
        assert answer.status_code == 400, answer.text
    open_terms(page)
    agree_both(page)
    fill_details(page, new_email(), number, code)
    error = page.locator("#account_creation_code-error")
    expect(error).to_contain_text("無効")
    assert error.inner_text().count("窓口") == 1, error.inner_text()
    expect(page.locator("#account_creation_code")).to_have_value(code)
    shoot(page, "29-code-invalidated")


def test_taken_code_email_and_account_link_to_login_and_the_forgotten_password(system, page):
    number, email, code = open_account(page, system)

    def links_out(name: str | None = None) -> None:
        assert not page.url.endswith("/register/password"), "a second application opened"
        expect(summary(page).get_by_role("link", name="ログイン画面へ")).to_have_attribute(
            "href", "/login")
        expect(summary(page).get_by_role("link", name="パスワードを忘れた方")).to_have_attribute(
            "href", "/password-reset")
        if name:
            shoot(page, name)

    open_terms(page)
    agree_both(page)
    fill_details(page, new_email(), number, code)  # CODE_ALREADY_USED
    expect(summary(page)).to_contain_text("使用")
    links_out()
    other = new_number()
    other_code = issue_by_api(system, other)
    retry_while_unknown(page, lambda: fill_details(page, email, other, other_code))
    expect(page.locator("#email-error")).to_contain_text("登録されています")  # the email's
    links_out()
    again = issue_by_api(system, number)  # R12: the same person, a new code, a new email
    retry_while_unknown(page, lambda: fill_details(page, new_email(), number, again))
    links_out("30-account-exists")


# --- login and R15 -----------------------------------------------------------------------
def test_login_lockout_waits_in_minutes_and_names_the_forgotten_password_link(page):
    email = new_email()
    page.goto("/login")
    expect(page.get_by_role("link", name="パスワードを忘れた方")).to_be_visible()
    for _ in range(10):
        page.fill("#email", email)
        page.fill("#password", "Wrong-pass-1")
        page.get_by_role("button", name="ログイン").click()
        if "分後から" in summary(page).inner_text():
            break
    text = summary(page).inner_text()
    assert re.search(r"約1[45]分後から、もう一度お試しいただけます", text), text
    assert "秒" not in text
    expect(summary(page)).to_contain_text("「パスワードを忘れた方」から再設定できます")
    shoot(page, "28-login-throttled")
    summary(page).get_by_role("link", name="パスワードを忘れた方").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワードを忘れた方")


def test_r15_forgotten_password_from_the_login_screen_to_my_page(system, page):
    number, email, _ = open_account(page, system)
    page.goto("/login")
    page.get_by_role("link", name="パスワードを忘れた方").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワードを忘れた方")
    shoot(page, "31-forgot")
    before = len(mails_to(system, email))
    page.fill("#email", email)
    page.fill("#job_seeker_number", number.replace("-", ""))
    page.fill("#birth_date", BIRTH.replace("-", ""))
    page.get_by_role("button", name="認証キーを送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワード再設定")
    assert "token" not in page.url
    expect(page.locator("main")).to_contain_text("メールを送信しました")
    shoot(page, "32-reset")
    key = key_of_newest_mail(system, email, after=before)

    page.fill("#reset_key", "ZZZZZZZZ")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirmation", NEW_PASSWORD)
    page.get_by_role("button", name="完了").click()
    expect(page.locator("#reset_key-error")).to_contain_text("あと4回")
    expect(page.locator("#password")).to_have_value(NEW_PASSWORD)
    expect(page.locator("#reset_key")).to_have_value("")
    shoot(page, "33-reset-wrong-key")
    page.fill("#reset_key", key.lower())
    page.get_by_role("button", name="完了").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワードを変更しました")
    shoot(page, "34-reset-done")
    page.go_back()
    expect(page.locator("main h1")).to_be_visible()  # no "Confirm Form Resubmission"
    page.goto("/login")
    expect(page.locator("#email")).to_have_value(email)
    page.fill("#password", NEW_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("求職者マイページ")


def test_r15_screens_in_english(page):
    page.goto("/password-reset?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    shoot(page, "31b-forgot-english")
    page.goto("/password-reset/new")
    expect(page.get_by_role("link", name="Ask for a reset key again")).to_be_visible()
    shoot(page, "35b-reset-void-english")
    page.goto("/login?lang=ja")


def test_every_seeker_screen_without_state_fits_a_320_px_phone(browser, system):
    page = new_page(browser, system)
    for path in ("/", "/register", "/policies/privacy", "/policies/terms", "/login",
                 "/password-reset", "/password-reset/new", "/register/password",
                 "/register/complete", "/mypage"):
        page.goto(path)
        fits(page)
    page.goto("/register/password")
    shoot(page, "15-no-application")
    page.context.close()


# --- the moved clock (keep these last, in this order) ------------------------------------
def test_expired_key_screen_has_one_message_and_only_start_again(system, page):
    _, email, _ = to_password_screen(page, system)
    key = auth_key_mail(system, email)
    system.move_clock(clock_now(system) + timedelta(minutes=51))
    fill_password(page, key)  # the form loaded before the key ran out
    expect(page.get_by_role("heading", level=1)).to_have_text("認証キーの有効期限が過ぎました")
    assert page.locator("main form").count() == 0
    assert page.get_by_role("button", name="完了").count() == 0
    assert main_links(page) == ["/register"]
    assert page.locator("main").inner_text().count("有効期限") == 2  # the title and one sentence
    shoot(page, "24-expired-key")
    page.get_by_role("link", name="はじめからやり直す").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("求職者マイページ利用規約確認")


def test_r15_expired_reset_key_asks_for_a_new_key_only(system, page):
    number, email, _ = open_account(page, system)
    page.goto("/password-reset")
    page.fill("#email", email)
    page.fill("#job_seeker_number", number)
    page.fill("#birth_date", BIRTH)
    page.get_by_role("button", name="認証キーを送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワード再設定")
    system.move_clock(clock_now(system) + timedelta(minutes=51))
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("認証キーの有効期限が過ぎました")
    assert main_links(page) == ["/password-reset"]
    assert page.locator("main form").count() == 0
    shoot(page, "35-reset-expired")


def test_expired_code_gives_the_counter_advice_once(system, page):
    number = new_number()
    code = issue_by_api(system, number)
    open_terms(page)
    agree_both(page)
    email = new_email()
    # Registration hears of the code before the days pass (a wrong birth date waits for it).
    deadline = time.monotonic() + 15
    while True:
        fill_details(page, email, number, code)
        if page.url.endswith("/register/password"):
            break
        assert time.monotonic() < deadline, summary(page).inner_text()
        time.sleep(0.3)
    open_terms(page)
    agree_both(page)
    system.move_clock(clock_now(system) + timedelta(days=7))
    fill_details(page, email, number, code)
    error = page.locator("#account_creation_code-error")
    expect(error).to_contain_text("有効期限")
    assert error.inner_text().count("窓口") == 1, error.inner_text()
    expect(page.locator("#account_creation_code")).to_have_value(code)
    shoot(page, "36-code-expired")


# --- the same screens against the portal's fake APIs -------------------------------------
# The API answers these screens depend on (attempts_left, ACCOUNT_EXISTS, R15's endpoints)
# come from registration; against the hand-written fake of the contract (tests/fakes.py)
# the screens are checked in Chromium whatever registration's state, axe-clean and on phones.
@pytest.fixture(scope="module")
def fake_portal():
    import threading

    from portal.app import create_app
    from portal.config import Config
    from portal.runtime import build
    from werkzeug.serving import make_server

    from ..fakes import FakeApis, MemoryRecords

    fake = FakeApis()
    config = Config(code_issuer_url=fake.url, registration_url=fake.url,
                    secret_key="browser-fake-secret", mail_page_url=fake.url, api_timeout=5)
    app = create_app(config, build(config, counter_records=MemoryRecords()))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    fake.close()


@pytest.fixture
def fake_page(browser, fake_portal):
    context = browser.new_context(base_url=fake_portal[1], locale="ja-JP", viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def axe_clean(page: Page) -> None:
    """axe-core finds no WCAG 2.1 AA violation (no screenshot: these run on the fake)."""
    from .conftest import AXE, AXE_TAGS

    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
             .violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')))""",
        AXE_TAGS)
    assert violations == [], violations
    fits(page)


def fake_account(fake, number: str, email: str, password: str = PASSWORD) -> None:
    fake.accounts[email.lower()] = {"email": email, "password": password,
                                    "job_seeker_number": number, "birth_date": BIRTH,
                                    "registered_at": "2026-04-01T04:05:00Z"}


def test_fake_password_screen_counts_tries_and_fifth_voids_it(fake_portal, fake_page):
    fake, _ = fake_portal
    page = fake_page
    number, email = new_number(), new_email()
    code = fake.add_code(number, BIRTH)
    open_terms(page)
    agree_both(page)
    fill_details(page, email, number, code)
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワード登録")
    for left in (4, 3, 2, 1):
        fill_password(page, "ZZZZZZZZ")
        expect(page.locator("#auth_key-error")).to_contain_text(f"あと{left}回")
        expect(page.locator("#password")).to_have_value(PASSWORD)
        expect(page.locator("#auth_key")).to_have_value("")
        if left == 4:
            axe_clean(page)
    fill_password(page, "ZZZZZZZZ")
    expect(page.get_by_role("heading", level=1)).to_have_text("申込みが無効になりました")
    assert main_links(page) == ["/register"]
    axe_clean(page)


def test_fake_account_exists_links_to_login_and_the_forgotten_password(fake_portal, fake_page):
    fake, _ = fake_portal
    page = fake_page
    number = new_number()
    fake_account(fake, number, new_email())
    code = fake.add_code(number, BIRTH)
    open_terms(page)
    agree_both(page)
    fill_details(page, new_email(), number, code)
    expect(summary(page)).to_contain_text("既に開設されています")
    expect(summary(page).get_by_role("link", name="ログイン画面へ")).to_be_visible()
    expect(summary(page).get_by_role("link", name="パスワードを忘れた方")).to_be_visible()
    expect(page.locator("#account_creation_code")).to_have_value(code)
    axe_clean(page)


def test_fake_r15_walk_from_the_login_screen_to_my_page(fake_portal, fake_page):
    fake, _ = fake_portal
    page = fake_page
    number, email = new_number(), new_email()
    fake_account(fake, number, email)
    page.goto("/login")
    page.get_by_role("link", name="パスワードを忘れた方").click()
    page.fill("#email", email)
    page.fill("#job_seeker_number", "12")
    page.fill("#birth_date", BIRTH)
    page.get_by_role("button", name="認証キーを送信する").click()
    expect(page.locator("#job_seeker_number-error")).to_be_visible()
    expect(page.locator("#email")).to_have_value(email)
    axe_clean(page)
    page.fill("#job_seeker_number", number.replace("-", ""))
    page.get_by_role("button", name="認証キーを送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワード再設定")
    assert "token" not in page.url
    axe_clean(page)
    token, reset = list(fake.resets.items())[-1]
    assert token not in page.content()
    page.fill("#reset_key", "ZZZZZZZZ")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirmation", NEW_PASSWORD)
    page.get_by_role("button", name="完了").click()
    expect(page.locator("#reset_key-error")).to_contain_text("あと4回")
    expect(page.locator("#password")).to_have_value(NEW_PASSWORD)
    axe_clean(page)
    page.fill("#reset_key", reset["key"])
    page.fill("#password", PASSWORD)
    page.fill("#password_confirmation", PASSWORD)
    page.get_by_role("button", name="完了").click()
    expect(page.locator("#password-error")).to_contain_text("現在のパスワードとは別")
    page.fill("#reset_key", reset["key"])
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirmation", NEW_PASSWORD)
    page.get_by_role("button", name="完了").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワードを変更しました")
    axe_clean(page)
    page.go_back()
    expect(page.locator("main h1")).to_be_visible()  # no "Confirm Form Resubmission"
    page.goto("/login")
    expect(page.locator("#email")).to_have_value(email)
    page.fill("#password", NEW_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("求職者マイページ")


def test_fake_r15_expired_key_and_english(fake_portal, fake_page):
    fake, _ = fake_portal
    page = fake_page
    number, email = new_number(), new_email()
    fake_account(fake, number, email)
    page.goto("/password-reset?lang=en")
    page.fill("#email", email)
    page.fill("#job_seeker_number", number)
    page.fill("#birth_date", BIRTH)
    page.get_by_role("button", name="Send the reset key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset password")
    axe_clean(page)
    fake.expire_resets()
    page.fill("#reset_key", list(fake.resets.values())[-1]["key"])
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirmation", NEW_PASSWORD)
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The reset key has expired")
    assert main_links(page) == ["/password-reset"]
    axe_clean(page)
    page.goto("/?lang=ja")
