"""My Page's screens for R16-R19 walked in Chromium: change the password, change the email
with the key from the mail, see and end sessions, withdraw. Every screen is checked with
axe-core and measured at 375 and 320 px for horizontal overflow.

Two halves: against the whole running system (the real registration API and the mail read
from the SMTP server; screenshots at desktop width and at 375 px), and against the portal's
hand-written fake of the contract (tests/fakes_mypage.py), which checks the screens and the
error paths in the browser whatever registration's state, without screenshots.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
from playwright.sync_api import Page, expect

from .conftest import AXE, AXE_TAGS, accessible, auth_key_mail, new_page, screenshot
from .test_portal_in_a_browser import (
    PASSWORD,
    agree_both,
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
    """No horizontal overflow at 375 and 320 px; at 375 px the screen is photographed as
    `name`-375 beside the desktop one."""
    before = page.viewport_size or DESKTOP
    for width in (375, 320):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"{name or page.url} at {width} px: {overflow}"
        if width == 375 and name:
            screenshot(page, f"{name}-375")
    page.set_viewport_size(before)


def shoot(page: Page, name: str) -> None:
    """axe-clean, photographed at desktop width and at 375 px, and no overflow on phones."""
    accessible(page, name)
    fits(page, name)


def axe_clean(page: Page) -> None:
    """axe-core finds no WCAG 2.1 AA violation, and no overflow on phones (no screenshot)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
             .violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')))""",
        AXE_TAGS)
    assert violations == [], violations
    fits(page)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    expect(heading(page)).to_have_text("求職者マイページ")


def change_password(page: Page, current: str, new: str, confirmation: str | None = None) -> None:
    page.fill("#current_password", current)
    page.fill("#password", new)
    page.fill("#password_confirmation", confirmation or new)
    page.locator("main form button[type=submit]").click()  # パスワードを変更する, or in English


def ask_email_change(page: Page, current: str, email: str) -> None:
    page.fill("#current_password", current)
    page.fill("#email", email)
    page.fill("#email_confirmation", email)
    page.get_by_role("button", name="認証キーを送信する").click()


def enter_key(page: Page, key: str) -> None:
    page.fill("#key", key)
    page.get_by_role("button", name="完了", exact=True).click()


def withdraw(page: Page, current: str) -> None:
    page.fill("#current_password", current)
    page.get_by_role("button", name="退会する").click()


# --- against the whole running system -----------------------------------------------------
def newest_key(system, email: str, after: int, timeout: float = 20) -> str:
    """The 8-character key of the newest mail to `email` once more than `after` arrived."""
    deadline = time.monotonic() + timeout
    while True:
        messages = requests.get(f"{system.mail_url}/api/messages", timeout=5).json()
        mine = [m for m in messages if email in str(m["to"])]
        if len(mine) > after:
            match = re.search(r"キー[^0-9A-Z]*([0-9A-HJKMNP-TV-Z]{8})\b", mine[0]["text"])
            assert match, mine[0]["text"]
            return match.group(1)
        assert time.monotonic() < deadline, f"no new mail to {email}"
        time.sleep(0.2)


def mails_to(system, email: str) -> int:
    messages = requests.get(f"{system.mail_url}/api/messages", timeout=5).json()
    return len([m for m in messages if email in str(m["to"])])


def open_account(system, page: Page) -> tuple[str, str]:
    """A new account opened through the screens: (email, password); the page logged in."""
    number, email = new_number(), new_email()
    code = issue_by_api(system, number)
    open_terms(page)
    agree_both(page)
    submit_details(page, email, number, code)
    page.fill("#password", PASSWORD)
    page.fill("#password_confirmation", PASSWORD)
    page.fill("#auth_key", auth_key_mail(system, email))
    page.locator("main form button[type=submit]").click()
    expect(heading(page)).to_have_text("パスワード登録完了")
    log_in(page, email, PASSWORD)
    return email, PASSWORD


def test_r16_password_change_ends_other_sessions_on_the_whole_system(browser, system, page):
    email, password = open_account(system, page)
    other = new_page(browser, system)
    log_in(other, email, password)
    shoot(page, "60-mypage-menu")
    page.get_by_role("link", name="パスワードの変更").click()
    expect(heading(page)).to_have_text("パスワードの変更")
    shoot(page, "61-mypage-password")

    change_password(page, "Wrong-pass-0", NEW_PASSWORD)
    expect(page.locator("#current_password-error")).to_be_visible()
    expect(page.locator("#current_password")).to_have_value("")
    shoot(page, "62-mypage-password-wrong")
    change_password(page, password, password)
    expect(page.locator("#password-error")).to_be_visible()  # PASSWORD_UNCHANGED
    change_password(page, password, NEW_PASSWORD)
    expect(heading(page)).to_have_text("パスワードを変更しました")
    shoot(page, "63-mypage-password-done")

    other.goto("/mypage")  # the other device's session has ended
    expect(other).to_have_url(re.compile(r"/login$"))
    other.context.close()
    page.goto("/mypage")
    expect(heading(page)).to_have_text("求職者マイページ")


def test_r17_email_change_with_the_mailed_key_on_the_whole_system(system, page):
    email, password = open_account(system, page)
    new = new_email()
    page.goto("/mypage/email")
    shoot(page, "64-mypage-email")
    ask_email_change(page, password, new)
    expect(heading(page)).to_have_text("メールアドレスの変更（認証キーの入力）")
    assert "token" not in page.url
    expect(page.locator("main")).to_contain_text(new)
    shoot(page, "65-mypage-email-key")
    key = newest_key(system, new, after=0)

    enter_key(page, "ZZZZZZZZ" if key != "ZZZZZZZZ" else "YYYYYYYY")
    expect(page.locator("#key-error")).to_contain_text("あと")
    expect(page.locator("#key")).to_have_value("")
    shoot(page, "66-mypage-email-key-wrong")
    enter_key(page, key.lower())
    expect(heading(page)).to_have_text("メールアドレスを変更しました")
    expect(page.locator("main")).to_contain_text(new)
    shoot(page, "67-mypage-email-done")

    page.get_by_role("link", name="マイページへ戻る").click()
    expect(page.locator(".details")).to_contain_text(new)


def test_r19_sessions_listed_and_other_devices_logged_out_on_the_whole_system(browser, system,
                                                                              page):
    email, password = open_account(system, page)
    others = [new_page(browser, system), new_page(browser, system)]
    for other in others:
        log_in(other, email, password)
    page.goto("/mypage/sessions")
    expect(page.locator(".my-sessions > li")).to_have_count(3)
    expect(page.locator(".my-sessions > li").first).to_contain_text("この端末")
    shoot(page, "68-mypage-sessions")

    page.locator(".my-sessions > li").nth(1).get_by_role("button").click()
    expect(page.get_by_role("status")).to_have_text("ログインを1件終了しました。")
    expect(page.locator(".my-sessions > li")).to_have_count(2)
    page.get_by_role("button", name="この端末以外のすべての端末からログアウトする").click()
    expect(page.get_by_role("status")).to_have_text("この端末以外のログインをすべて終了しました。")
    expect(page.locator(".my-sessions > li")).to_have_count(1)
    shoot(page, "68b-mypage-sessions-only-this")
    for other in others:
        other.goto("/mypage")
        expect(other).to_have_url(re.compile(r"/login$"))
        other.context.close()


def test_r18_withdrawal_closes_the_account_on_the_whole_system(system, page):
    email, password = open_account(system, page)
    page.goto("/mypage/withdrawal")
    expect(page.get_by_role("note")).to_contain_text("消去されます")
    shoot(page, "69-mypage-withdrawal")
    withdraw(page, "Wrong-pass-0")
    expect(page.locator("#current_password-error")).to_be_visible()
    withdraw(page, password)
    expect(heading(page)).to_have_text("退会しました")
    shoot(page, "70-mypage-withdrawal-done")

    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()  # the account is gone


def test_my_page_screens_in_english_on_the_whole_system(system, page):
    open_account(system, page)
    page.goto("/mypage/password?lang=en")
    expect(heading(page)).to_have_text("Change your password")
    change_password(page, "Wrong-pass-0", NEW_PASSWORD)
    expect(page.locator("#current_password-error")).to_be_visible()
    shoot(page, "71-mypage-password-english")
    page.goto("/mypage/sessions")
    expect(heading(page)).to_have_text("Where you are logged in")
    shoot(page, "72-mypage-sessions-english")


# --- against the fake of the contract -----------------------------------------------------
@pytest.fixture(scope="module")
def fake_portal():
    from portal.app import create_app
    from portal.config import Config
    from portal.runtime import build
    from werkzeug.serving import make_server

    from ..fakes import MemoryRecords
    from ..fakes_mypage import MyPageFakeApis

    fake = MyPageFakeApis()
    config = Config(code_issuer_url=fake.url, registration_url=fake.url,
                    secret_key="browser-fake-secret", mail_page_url=fake.url, api_timeout=5)
    app = create_app(config, build(config, counter_records=MemoryRecords()))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    fake.close()


def fake_context(browser, fake_portal, javascript: bool = True) -> Page:
    context = browser.new_context(base_url=fake_portal[1], locale="ja-JP", viewport=DESKTOP,
                                  java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def fake_page(browser, fake_portal):
    page = fake_context(browser, fake_portal)
    yield page
    page.context.close()


def fake_account(fake, email: str, password: str = PASSWORD) -> None:
    fake.accounts[email.lower()] = {"email": email, "password": password,
                                    "job_seeker_number": "12345-1234567",
                                    "registered_at": "2026-04-01T04:05:00Z"}


def api_calls(fake, path: str) -> int:
    return len([r for r in fake.requests if r["path"] == path])


def test_fake_r16_errors_without_javascript_and_back_or_reload_never_resends(browser,
                                                                            fake_portal):
    fake, _ = fake_portal
    email = new_email()
    fake_account(fake, email)
    page = fake_context(browser, fake_portal, javascript=False)
    log_in(page, email, PASSWORD)
    page.goto("/mypage/password")
    change_password(page, "Wrong-pass-0", NEW_PASSWORD)
    expect(page.locator("#current_password-error")).to_contain_text("現在のパスワードが正しくありません")
    assert page.title().startswith("エラー: ")
    assert page.url.endswith("/mypage/password")  # POST-redirect-GET
    sent = api_calls(fake, "/v1/me/password")
    page.reload()
    page.go_back()
    page.go_forward()
    assert api_calls(fake, "/v1/me/password") == sent  # nothing was sent again
    change_password(page, PASSWORD, "short1!", "short1!")
    expect(page.locator("#password-error")).to_be_visible()
    change_password(page, PASSWORD, NEW_PASSWORD)
    expect(heading(page)).to_have_text("パスワードを変更しました")
    assert fake.accounts[email]["password"] == NEW_PASSWORD
    page.context.close()


def test_fake_r16_r18_r19_screens_are_axe_clean_and_fit_phones(fake_portal, fake_page):
    fake, _ = fake_portal
    email = new_email()
    fake_account(fake, email)
    other = requests.post(f"{fake.url}/v1/sessions", timeout=5,
                          json={"email": email, "password": PASSWORD}).json()["session_token"]
    log_in(fake_page, email, PASSWORD)
    axe_clean(fake_page)
    for link, title in (("パスワードの変更", "パスワードの変更"),
                        ("ログイン中の端末", "ログイン中の端末"),
                        ("退会（アカウントの削除）", "退会（アカウントの削除）")):
        fake_page.goto("/mypage")
        fake_page.get_by_role("link", name=link).click()
        expect(heading(fake_page)).to_have_text(title)
        axe_clean(fake_page)

    fake_page.goto("/mypage/password")
    change_password(fake_page, "Wrong-pass-0", NEW_PASSWORD)
    expect(fake_page.locator(".error-summary")).to_be_focused()
    axe_clean(fake_page)
    fake.fail_next("PUT", "/v1/me/password", 429, "RATE_LIMITED", headers={"Retry-After": "899"})
    change_password(fake_page, PASSWORD, NEW_PASSWORD)
    expect(fake_page.locator(".error-summary")).to_contain_text("約15分後から")

    fake_page.goto("/mypage/sessions")
    expect(fake_page.locator(".my-sessions > li")).to_have_count(2)
    axe_clean(fake_page)
    fake_page.locator(".my-sessions > li").nth(1).get_by_role("button").click()
    expect(fake_page.get_by_role("status")).to_have_text("ログインを1件終了しました。")
    assert other not in fake.sessions
    axe_clean(fake_page)

    fake_page.goto("/mypage/withdrawal")
    withdraw(fake_page, "Wrong-pass-0")
    expect(fake_page.locator("#current_password-error")).to_be_visible()
    axe_clean(fake_page)
    withdraw(fake_page, PASSWORD)
    expect(heading(fake_page)).to_have_text("退会しました")
    axe_clean(fake_page)
    assert email.lower() not in fake.accounts


def test_fake_r17_email_change_wrong_key_tries_left_then_the_right_one(fake_portal, fake_page):
    fake, _ = fake_portal
    email, new = new_email(), new_email()
    fake_account(fake, email)
    log_in(fake_page, email, PASSWORD)
    fake_page.get_by_role("link", name="メールアドレスの変更").click()
    axe_clean(fake_page)
    ask_email_change(fake_page, "Wrong-pass-0", new)
    expect(fake_page.locator("#current_password-error")).to_be_visible()
    expect(fake_page.locator("#email")).to_have_value(new)  # what was typed stays
    expect(fake_page.locator("#current_password")).to_have_value("")
    axe_clean(fake_page)
    ask_email_change(fake_page, PASSWORD, new)
    expect(heading(fake_page)).to_have_text("メールアドレスの変更（認証キーの入力）")
    assert "token" not in fake_page.url
    axe_clean(fake_page)
    enter_key(fake_page, "ZZZZZZZZ")
    expect(fake_page.locator("#key-error")).to_contain_text("あと 4 回")
    expect(fake_page.locator("#key")).to_have_value("")
    axe_clean(fake_page)
    key = re.search(r"認証キー: (\w+)", fake.mails[-1]["text"]).group(1)
    enter_key(fake_page, key)
    expect(heading(fake_page)).to_have_text("メールアドレスを変更しました")
    axe_clean(fake_page)
    assert new.lower() in fake.accounts


def test_fake_r17_expired_key_leads_back_to_the_address_in_english(fake_portal, fake_page):
    fake, _ = fake_portal
    email, new = new_email(), new_email()
    fake_account(fake, email)
    log_in(fake_page, email, PASSWORD)
    fake_page.goto("/mypage/email?lang=en")
    fake_page.fill("#current_password", PASSWORD)
    fake_page.fill("#email", new)
    fake_page.fill("#email_confirmation", new)
    fake_page.locator("main form button[type=submit]").click()
    expect(heading(fake_page)).to_have_text("Change your email address: enter the key")
    fake.expire_changes()
    fake_page.fill("#key", "ABCDEFGH")
    fake_page.locator("main form button[type=submit]").click()
    expect(heading(fake_page)).to_have_text("Change your email address")
    expect(fake_page.locator(".error-summary")).to_contain_text("The key has expired")
    axe_clean(fake_page)
