"""My Page's screens for R16-R19 against the fake of the contract (tests/fakes_mypage.py)."""

import re

import pytest
import requests

from ..conftest import post
from ..fakes_mypage import MyPageFakeApis

EMAIL, PASSWORD, NEW = "hanako@example.jp", "Old-pass-1", "New-pass-2"
SCREENS = ("/mypage/password", "/mypage/email", "/mypage/sessions", "/mypage/withdrawal")


@pytest.fixture
def fake():
    apis = MyPageFakeApis()
    apis.accounts[EMAIL] = {"email": EMAIL, "password": PASSWORD,
                            "job_seeker_number": "12345-1234567",
                            "registered_at": "2026-04-01T01:00:00Z"}
    yield apis
    apis.close()


@pytest.fixture
def me(client):
    """The client logged in to My Page."""
    response = post(client, "/login", {"email": EMAIL, "password": PASSWORD})
    assert response.headers["Location"].endswith("/mypage")
    return client


def text(response) -> str:
    return response.data.decode()


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def follow(client, response):
    """The GET a browser makes after the 303 (POST-redirect-GET)."""
    assert response.status_code == 303, text(response)
    return client.get(response.headers["Location"])


def log_in_elsewhere(fake) -> str:
    """Another device's session, straight at the fake API."""
    answer = requests.post(f"{fake.url}/v1/sessions", json={"email": EMAIL, "password":
                                                             fake.accounts[EMAIL]["password"]},
                           headers={"X-Forwarded-For": "198.51.100.23"}, timeout=5)
    return answer.json()["session_token"]


# --- My Page and the way in ---------------------------------------------------------------
def test_my_page_shows_the_details_and_links_to_the_four_screens(me):
    html = text(me.get("/mypage"))
    assert EMAIL in html and "12345-1234567" in html
    for path, name in zip(SCREENS, ("パスワードの変更", "メールアドレスの変更", "ログイン中の端末",
                                    "退会（アカウントの削除）"), strict=True):
        assert f'<a href="{path}">{name}</a>' in html


@pytest.mark.parametrize("path", [*SCREENS, "/mypage/email/key", "/mypage/password/done"])
def test_every_my_page_screen_needs_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")


def test_unauthorized_ends_the_portal_session_and_says_so_on_the_login_screen(me, fake):
    fake.fail_next("PUT", "/v1/me/password", 401, "UNAUTHORIZED")
    response = post(me, "/mypage/password", {"current_password": PASSWORD, "password": NEW,
                                             "password_confirmation": NEW})
    login = follow(me, response)
    assert "ログインの有効期限が切れました。" in text(login)
    assert me.get("/mypage/password").headers["Location"].endswith("/login")


@pytest.mark.parametrize("action", ["/mypage/password", "/mypage/email", "/mypage/email/key",
                                    "/mypage/sessions/end", "/mypage/sessions/end-others",
                                    "/mypage/withdrawal"])
def test_every_my_page_form_is_refused_without_the_csrf_token(me, fake, action):
    before = len(fake.requests)
    response = me.post(action, data={"current_password": PASSWORD})
    assert response.status_code == 400 and "もう一度お試しください" in text(response)
    assert EMAIL in fake.accounts and len(fake.requests) == before


# --- R16 ------------------------------------------------------------------------------------
def test_r16_password_change_sends_the_contract_with_the_session_and_shows_the_result(me, fake):
    other = log_in_elsewhere(fake)
    response = post(me, "/mypage/password", {"current_password": PASSWORD, "password": NEW,
                                             "password_confirmation": NEW})
    assert response.headers["Location"].endswith("/mypage/password/done")
    sent = fake.last("/v1/me/password")
    assert sent["method"] == "PUT"
    assert sent["json"] == {"current_password": PASSWORD, "password": NEW,
                            "password_confirmation": NEW}
    assert sent["headers"]["Authorization"].startswith("Bearer ")
    done = text(follow(me, response))
    assert "パスワードを変更しました" in done and "この端末以外のログインはすべて終了しました" in done
    assert fake.accounts[EMAIL]["password"] == NEW
    assert other not in fake.sessions  # the fake API ended the other session
    assert me.get("/mypage").status_code == 200  # and kept this one


def test_r16_a_wrong_current_password_is_shown_next_to_it_after_a_redirect(me):
    response = post(me, "/mypage/password", {"current_password": "Wrong-pass-9", "password": NEW,
                                             "password_confirmation": NEW})
    assert response.headers["Location"].endswith("/mypage/password")
    page = follow(me, response)
    html = text(page)
    assert page.status_code == 400
    assert "現在のパスワードが正しくありません。" in field_error(html, "current_password")
    assert "<title>エラー:" in html
    assert "Wrong-pass-9" not in html and NEW not in html  # passwords are never typed back
    again = me.get("/mypage/password")  # a reload shows the screen fresh
    assert again.status_code == 200 and "現在のパスワードが正しくありません" not in text(again)


def test_r16_the_current_password_again_is_refused_next_to_the_new_one(me):
    page = follow(me, post(me, "/mypage/password", {
        "current_password": PASSWORD, "password": PASSWORD, "password_confirmation": PASSWORD}))
    assert page.status_code == 422
    assert field_error(text(page), "password").endswith(
        "現在のパスワードとは別のパスワードにしてください。")


def test_r16_validation_errors_are_shown_per_field(me):
    page = follow(me, post(me, "/mypage/password", {
        "current_password": PASSWORD, "password": "short", "password_confirmation": "short"}))
    html = text(page)
    assert page.status_code == 422
    assert "8文字以上32文字以内" in field_error(html, "password")
    assert 'href="#password"' in html  # the error summary points at the field


def test_rate_limited_tells_the_wait_in_minutes_rounded_up(me, fake):
    fake.fail_next("PUT", "/v1/me/password", 429, "RATE_LIMITED", headers={"Retry-After": "61"})
    page = follow(me, post(me, "/mypage/password", {
        "current_password": "x", "password": NEW, "password_confirmation": NEW}))
    assert page.status_code == 429
    assert "約2分後から、もう一度お試しいただけます。" in text(page)


def test_an_unreachable_api_is_a_clear_page_error(me, fake):
    fake.fail_next("PUT", "/v1/me/password", 503)
    page = follow(me, post(me, "/mypage/password", {
        "current_password": PASSWORD, "password": NEW, "password_confirmation": NEW}))
    assert page.status_code == 503
    assert "ただいまサービスに接続できません" in text(page)


# --- R17 ------------------------------------------------------------------------------------
def change_email(client, new="taro@example.jp", confirmation=None, password=PASSWORD):
    return post(client, "/mypage/email", {"current_password": password, "email": new,
                                          "email_confirmation": confirmation or new})


def key_of(fake) -> str:
    return re.search(r"認証キー: (\w+)", fake.mails[-1]["text"]).group(1)


def test_r17_email_change_and_key_change_the_address_with_the_token_kept_out_of_pages(me, fake):
    other = log_in_elsewhere(fake)
    response = change_email(me)
    assert response.headers["Location"].endswith("/mypage/email/key")
    assert fake.last("/v1/me/email-changes")["json"] == {
        "current_password": PASSWORD, "email": "taro@example.jp",
        "email_confirmation": "taro@example.jp"}
    token = next(iter(fake.changes))
    page = follow(me, response)
    html = text(page)
    assert "taro@example.jp 宛に「メールアドレス変更の認証キーのお知らせ」メールを送信しました。" in html
    assert "認証キーの有効期限" in html and "日本時間" in html
    assert token not in html and token not in response.headers["Location"]
    done = post(me, "/mypage/email/key", {"key": key_of(fake).lower()})
    assert fake.last("/v1/me/email-change-confirmations")["json"]["change_token"] == token
    assert done.headers["Location"].endswith("/mypage/email/done")
    assert "ログインに使うメールアドレスは taro@example.jp になりました。" in text(follow(me, done))
    assert "taro@example.jp" in fake.accounts and other not in fake.sessions
    assert me.get("/mypage/email/key").headers["Location"].endswith("/mypage/email")


def test_r17_a_refused_address_keeps_what_was_typed_but_the_password(me, fake):
    page = follow(me, change_email(me, "taro@example.jp", "tar0@example.jp"))
    html = text(page)
    assert page.status_code == 422
    assert field_error(html, "email_confirmation") == "エラー: 確認用と一致しません。"
    assert 'value="taro@example.jp"' in html and 'value="tar0@example.jp"' in html
    assert PASSWORD not in html


def test_r17_a_taken_address_is_shown_next_to_the_new_email(me, fake):
    fake.accounts["jiro@example.jp"] = {**fake.accounts[EMAIL], "email": "jiro@example.jp"}
    page = follow(me, change_email(me, "jiro@example.jp"))
    assert page.status_code == 409
    assert field_error(text(page), "email").endswith("このメールアドレスは登録済みです。")


def test_r17_a_wrong_current_password_is_refused_next_to_it(me):
    page = follow(me, change_email(me, password="Wrong-1-pass"))
    assert "現在のパスワードが正しくありません。" in field_error(text(page), "current_password")


def test_r17_a_wrong_key_says_how_many_tries_are_left_and_is_not_typed_back(me, fake):
    follow(me, change_email(me))
    response = post(me, "/mypage/email/key", {"key": "ZZZZZZZZ"})
    assert response.headers["Location"].endswith("/mypage/email/key")
    page = follow(me, response)
    html = text(page)
    assert page.status_code == 400
    assert field_error(html, "key").endswith("認証キーが正しくありません。 あと 4 回まで入力できます。")
    assert "ZZZZZZZZ" not in html


def test_r17_the_fifth_wrong_key_voids_the_change_and_leads_back_to_the_address(me, fake):
    follow(me, change_email(me))
    for _ in range(4):
        follow(me, post(me, "/mypage/email/key", {"key": "ZZZZZZZZ"}))
    response = post(me, "/mypage/email/key", {"key": "ZZZZZZZZ"})
    assert response.headers["Location"].endswith("/mypage/email")
    html = text(follow(me, response))
    assert "認証キーを5回誤って入力したため、この手続きは無効になりました。" in html
    assert 'value="taro@example.jp"' in html  # the address is typed back for a new try
    assert me.get("/mypage/email/key").headers["Location"].endswith("/mypage/email")


def test_r17_an_expired_key_leads_back_to_the_address(me, fake):
    follow(me, change_email(me))
    fake.expire_changes()
    page = follow(me, post(me, "/mypage/email/key", {"key": key_of(fake)}))
    assert page.status_code == 410
    assert "認証キーの有効期限が過ぎました。" in text(page)


def test_r17_a_change_the_api_no_longer_knows_leads_back_to_the_address(me, fake):
    follow(me, change_email(me))
    fake.changes.clear()
    page = follow(me, post(me, "/mypage/email/key", {"key": "ABCDEFGH"}))
    assert page.status_code == 404
    assert "メールアドレス変更の手続きが見つからないか、無効になりました。" in text(page)


def test_r17_an_address_taken_before_the_confirmation_is_told_at_the_address(me, fake):
    follow(me, change_email(me))
    fake.accounts["taro@example.jp"] = {**fake.accounts[EMAIL], "email": "taro@example.jp"}
    page = follow(me, post(me, "/mypage/email/key", {"key": key_of(fake)}))
    assert page.status_code == 409
    assert field_error(text(page), "email").endswith("このメールアドレスは登録済みです。")


def test_r17_the_key_screen_without_a_change_leads_to_the_address_form(me):
    response = post(me, "/mypage/email", {}, action="/mypage/email/key")
    assert response.headers["Location"].endswith("/mypage/email")


# --- R19 ------------------------------------------------------------------------------------
def test_r19_sessions_are_listed_this_one_first_and_another_can_be_ended(me, fake):
    other = log_in_elsewhere(fake)
    page = me.get("/mypage/sessions")
    html = text(page)
    assert page.status_code == 200
    assert html.count("<li>") == 2 and "（この端末）" in html.split("<li>")[1]
    assert "198.51.100.0/24" in html and "日本時間" in html
    other_id = fake.session_facts[other]["session_id"]
    assert html.count('name="session_id"') == 1 and f'value="{other_id}"' in html
    response = post(me, "/mypage/sessions", {"session_id": other_id},
                    action="/mypage/sessions/end")
    assert fake.last(f"/v1/me/sessions/{other_id}")["method"] == "DELETE"
    after = text(follow(me, response))
    assert "ログインを1件終了しました。" in after and other not in fake.sessions
    assert "ログインしているのはこの端末だけです。" in after


def test_r19_log_out_of_other_devices_keeps_this_one(me, fake):
    others = [log_in_elsewhere(fake), log_in_elsewhere(fake)]
    response = post(me, "/mypage/sessions", {}, action="/mypage/sessions/end-others")
    assert fake.last("/v1/me/sessions")["method"] == "DELETE"
    assert "この端末以外のログインをすべて終了しました。" in text(follow(me, response))
    assert not set(others) & set(fake.sessions) and len(fake.sessions) == 1


def test_r19_the_browser_family_is_told_in_the_persons_language(me, fake):
    next(iter(fake.session_facts.values()))["browser"] = "Firefox on Windows"  # this one
    other = log_in_elsewhere(fake)
    fake.session_facts[other].update(browser="Other browser on Android", client_address="unknown")
    html = text(me.get("/mypage/sessions"))
    assert "<h2>Firefox（Windows）" in html and "<h2>その他のブラウザ（Android）" in html
    assert "<dd>不明</dd>" in html and "unknown" not in html
    me.get("/mypage?lang=en")
    html = text(me.get("/mypage/sessions"))
    assert "<h2>Firefox on Windows" in html and "<h2>Other browser on Android" in html


def test_r19_ending_a_login_that_already_ended_says_so(me, fake):
    response = post(me, "/mypage", {"session_id": "gone"},
                    action="/mypage/sessions/end")
    assert "このログインはすでに終了しています。" in text(follow(me, response))


def test_r19_an_unreachable_api_is_told_on_the_sessions_screen(me, fake):
    fake.fail_next("GET", "/v1/me/sessions", 503)
    page = me.get("/mypage/sessions")
    assert page.status_code == 503 and "ただいまサービスに接続できません" in text(page)


# --- R18 ------------------------------------------------------------------------------------
def test_r18_withdrawal_says_what_happens_then_closes_the_account(me, fake):
    html = text(me.get("/mypage/withdrawal"))
    assert "登録したメールアドレスとパスワードは消去されます。" in html
    assert "新しいアカウント作成コードの発行を受ける必要があります。" in html
    response = post(me, "/mypage/withdrawal", {"current_password": PASSWORD})
    assert fake.last("/v1/me/withdrawal")["json"] == {"current_password": PASSWORD}
    assert response.headers["Location"].endswith("/mypage/withdrawal/done")
    done = follow(me, response)
    assert done.status_code == 200 and "退会しました" in text(done)
    assert fake.closed == [EMAIL]
    assert me.get("/mypage").headers["Location"].endswith("/login")  # no session is kept
    assert me.get("/mypage/withdrawal/done").status_code == 200  # a reload shows it again


def test_r18_a_wrong_password_keeps_the_account(me, fake):
    page = follow(me, post(me, "/mypage/withdrawal", {"current_password": "Nope-1-nope"}))
    assert page.status_code == 400
    assert "現在のパスワードが正しくありません。" in field_error(text(page), "current_password")
    assert EMAIL in fake.accounts and me.get("/mypage").status_code == 200


def test_r18_the_closed_screen_is_not_shown_to_someone_who_did_not_withdraw(client):
    assert client.get("/mypage/withdrawal/done").headers["Location"].endswith("/")


# --- language ---------------------------------------------------------------------------------
def test_the_screens_speak_english_when_asked(me, fake):
    me.get("/mypage?lang=en")
    assert "Change your password" in text(me.get("/mypage"))
    page = follow(me, post(me, "/mypage/password", {
        "current_password": "Wrong-pass-9", "password": NEW, "password_confirmation": NEW}))
    html = text(page)
    assert 'lang="en"' in html and "The current password is wrong." in html
    assert fake.last("/v1/me/password")["headers"]["Accept-Language"] == "en"
    fake.fail_next("PUT", "/v1/me/password", 429, "RATE_LIMITED", headers={"Retry-After": "600"})
    page = follow(me, post(me, "/mypage/password", {
        "current_password": "x", "password": NEW, "password_confirmation": NEW}))
    assert "You can try again in about 10 minute(s)." in text(page)
    assert "Where you are logged in" in text(me.get("/mypage/sessions"))
    assert "Close your account" in text(me.get("/mypage/withdrawal"))



# --- R19: the browser each session is named by -------------------------------------------------
def test_r19_the_browsers_user_agent_reaches_the_api_so_sessions_name_the_browser(client, fake):
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
    page = client.get("/login", headers={"User-Agent": agent})
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(page)).group(1)
    client.post("/login", headers={"User-Agent": agent},
                data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    assert fake.last("/v1/sessions")["headers"]["User-Agent"] == agent
    html = text(client.get("/mypage/sessions", headers={"User-Agent": agent}))
    assert "<h2>Chrome" in html and fake.last("/v1/me/sessions")["headers"]["User-Agent"] == agent


def test_r17_a_change_left_by_one_login_is_not_shown_after_another_login(me, fake):
    follow(me, change_email(me))
    follow(me, change_email(me, "jiro@example.jp", "jir0@example.jp"))  # a refused form kept
    post(me, "/mypage", {}, action="/logout")
    post(me, "/login", {"email": EMAIL, "password": PASSWORD})
    assert me.get("/mypage/email/key").headers["Location"].endswith("/mypage/email")
    assert "jiro@example.jp" not in text(me.get("/mypage/email"))


def test_a_field_text_the_codes_message_already_says_is_shown_once(me, fake):
    fake.fail_next("PUT", "/v1/me/password", 400, "CURRENT_PASSWORD_WRONG",
                   fields={"current_password": "wrong_current"})
    page = follow(me, post(me, "/mypage/password", {
        "current_password": "x", "password": NEW, "password_confirmation": NEW}))
    assert field_error(text(page), "current_password") == \
        "エラー: 現在のパスワードが正しくありません。何度も誤るとログインも一時的に制限されます。"
