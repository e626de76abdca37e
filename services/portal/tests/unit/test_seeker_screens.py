import re
from datetime import timedelta

from ..conftest import csrf_of, post

NUMBER, BIRTH = "12345-1234567", "1990-04-01"


def agree(client):
    return post(client, "/register", {"privacy_policy": "agree", "terms_of_use": "agree"})


def details(client, fake, **override):
    code = override.pop("code", None) or fake.add_code(NUMBER, BIRTH)
    form = {"email": "hanako@example.jp", "email_confirmation": "hanako@example.jp",
            "job_seeker_number": NUMBER, "birth_date": BIRTH, "account_creation_code": code,
            **override}
    agree(client)
    return post(client, "/register/details", form)


def follow(client, response):
    """The page a refused POST redirects to: every POST answers 303 (POST-redirect-GET),
    so the browser's Back and reload never offer to resend a form (issue 17)."""
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"])


def text(response) -> str:
    return response.data.decode()


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def test_top_page_offers_login_and_registration_with_a_code(client):
    html = text(client.get("/"))
    assert 'lang="ja"' in html
    assert "求職者マイページにログイン" in html
    assert "アカウント作成コードをハローワークで発行済みの求職者" in html


def test_terms_screen_shows_both_documents_with_their_versions_and_checkboxes(client):
    html = text(client.get("/register"))
    assert "求職者マイページ利用規約確認" in html
    assert "2026-04" in html and "2026-05" in html
    assert "「プライバシーポリシー」に同意します。" in html and "「利用規約」に同意します。" in html
    assert 'href="/policies/privacy"' in html and 'href="/policies/terms"' in html


def test_policy_screen_is_readable_and_closes_back_to_the_terms(client):
    html = text(client.get("/policies/privacy"))
    assert "プライバシーポリシー" in html and "2026-04" in html
    assert 'href="https://example.jp/privacy"' in html
    assert '<a class="button" href="/register">閉じる</a>' in html
    terms = text(client.get("/policies/terms"))
    assert "href=\"/terms\"" not in terms  # a relative document address is not linked
    assert client.get("/policies/other").status_code == 404


def test_r8_next_without_both_agreements_is_refused_next_to_each_checkbox(client, fake):
    response = follow(client, post(client, "/register", {"privacy_policy": "agree"}))
    assert response.status_code == 422
    html = text(response)
    assert field_error(html, "terms_of_use").endswith("「利用規約」に同意してください。")
    assert field_error(html, "privacy_policy") == ""
    assert 'aria-describedby="terms_of_use-error"' in html
    assert '<title>エラー: ' in html
    assert client.get("/register/details").status_code == 303  # nothing was kept
    response = follow(client, post(client, "/register", {}))
    assert "「プライバシーポリシー」に同意してください。" in text(response)


def test_r8_agreeing_both_keeps_the_versions_shown_and_opens_step_two(client, fake):
    response = agree(client)
    assert response.status_code == 303 and response.headers["Location"] == "/register/details"
    html = text(client.get("/register/details"))
    for hint in ("半角英数字100文字以内", "半角数字5桁・8桁以内", "西暦で入力してください", "半角文字10文字以内"):
        assert hint in html
    assert "メール受信制限をされている方は" in html
    details(client, fake)
    sent = fake.last("/v1/applications")["json"]
    assert sent["privacy_policy_version"] == "2026-04"
    assert sent["terms_of_use_version"] == "2026-05"


def test_step_two_without_agreement_goes_back_to_the_terms(client):
    response = client.get("/register/details")
    assert response.status_code == 303 and response.headers["Location"] == "/register"


def test_step_two_sends_the_form_with_the_birth_date_normalised_and_the_client_address(client, fake):
    response = details(client, fake, birth_date="1990/4/1")
    assert response.status_code == 303 and response.headers["Location"] == "/register/password"
    call = fake.last("/v1/applications")
    assert call["json"]["birth_date"] == "1990-04-01"
    assert call["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert call["headers"]["Accept-Language"] == "ja"


def test_r9_application_token_lives_only_in_the_session_cookie(client, fake):
    response = details(client, fake)
    token = list(fake.applications)[0]
    assert token not in response.headers["Location"]
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = client.get("/register/password")
    assert token not in text(page)


def test_password_screen_warns_not_to_close_and_shows_deadline_in_jst_and_time_left(client, fake, clock):
    details(client, fake)
    expires = list(fake.applications.values())[0]["expires_at"]
    clock.set(expires - timedelta(minutes=49, seconds=5))
    html = text(client.get("/register/password"))
    assert "パスワード登録" in html
    assert "画面を閉じないでください" in html
    jst = expires.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert f"{jst.year}年{jst.month}月{jst.day}日 {jst.hour}時{jst.minute:02d}分（日本時間）" in html
    assert "49分05秒" in html and 'data-seconds-left="2945"' in html
    assert 'href="http://127.0.0.1:8025"' in html  # development mode only


def test_r10_password_screen_says_when_the_key_has_run_out(client, fake, clock):
    details(client, fake)
    clock.set(list(fake.applications.values())[0]["expires_at"] + timedelta(seconds=1))
    html = text(client.get("/register/password"))
    assert "認証キーの有効期限が過ぎました" in html and 'name="auth_key"' not in html


def test_mail_page_link_is_hidden_outside_development(fake, clock):
    from portal.app import create_app
    from portal.config import Config
    from portal.runtime import build

    config = Config(mode="production", secret_key="p" * 40, registration_url=fake.url,
                    code_issuer_url=fake.url)
    app = create_app(config, build(config, clock=clock))
    client = app.test_client()
    client.get("/register")
    token = csrf_of(client.get("/register").data)
    client.post("/register", data={"privacy_policy": "agree", "terms_of_use": "agree",
                                   "csrf_token": token}, base_url="https://localhost")
    code = fake.add_code(NUMBER, BIRTH)
    page = client.get("/register/details", base_url="https://localhost")
    client.post("/register/details", base_url="https://localhost", data={
        "email": "a@example.jp", "email_confirmation": "a@example.jp", "job_seeker_number": NUMBER,
        "birth_date": BIRTH, "account_creation_code": code, "csrf_token": csrf_of(page.data)})
    html = text(client.get("/register/password", base_url="https://localhost"))
    assert "パスワード登録" in html and "8025" not in html


def test_r4_identity_mismatch_is_shown_as_one_generic_error_keeping_what_was_typed(client, fake):
    fake.add_code(NUMBER, BIRTH)
    response = follow(client, details(client, fake, code="ZZZZZZZZZZ"))
    assert response.status_code == 400
    html = text(response)
    assert "求職番号、生年月日またはアカウント作成コードが正しくありません。" in html
    assert 'value="hanako@example.jp"' in html and f'value="{NUMBER}"' in html
    assert 'value="ZZZZZZZZZZ"' in html  # issue 17: the code stays typed after an error


def test_r5_dead_code_is_named_next_to_the_code_field_with_what_to_do(client, fake):
    code = fake.add_code(NUMBER, BIRTH, status="invalidated")
    response = follow(client, details(client, fake, code=code))
    assert response.status_code == 410
    error = field_error(text(response), "account_creation_code")
    assert "アカウント作成コードは無効になっています。" in error
    assert "窓口でアカウント作成コードの再発行を受けてください。" in error


def test_r6_api_field_errors_are_shown_next_to_their_fields(client, fake):
    response = follow(client, details(client, fake, email_confirmation="other@example.jp"))
    assert response.status_code == 422
    html = text(response)
    assert field_error(html, "email_confirmation").endswith("確認用と一致しません。")
    assert 'aria-invalid="true"' in html
    assert '<a href="#email_confirmation">確認用と一致しません。</a>' in html
    assert fake.applications == {}


def test_r6_email_already_registered_is_shown_next_to_the_email(client, fake):
    fake.accounts["hanako@example.jp"] = {"email": "hanako@example.jp"}
    response = follow(client, details(client, fake))
    assert response.status_code == 409
    assert "このメールアドレスは登録済みです。" in field_error(text(response), "email")


def test_terms_refused_by_the_api_asks_to_agree_again(client, fake):
    agree(client)
    fake.fail_next("POST", "/v1/applications", 422, "TERMS_NOT_AGREED")
    code = fake.add_code(NUMBER, BIRTH)
    response = post(client, "/register/details", {
        "email": "a@example.jp", "email_confirmation": "a@example.jp", "job_seeker_number": NUMBER,
        "birth_date": BIRTH, "account_creation_code": code})
    assert response.headers["Location"] == "/register"
    response = follow(client, response)
    assert response.status_code == 422 and "規約に同意してください。" in text(response)
    assert client.get("/register/details").status_code == 303


def test_rate_limit_tells_how_long_to_wait(client, fake):
    agree(client)
    fake.fail_next("POST", "/v1/applications", 429, "RATE_LIMITED", headers={"Retry-After": "899"})
    response = follow(client, post(client, "/register/details", {"email": "a@example.jp"}))
    assert response.status_code == 429
    html = text(response)
    assert "約15分後に再度お試しください。" in html and "899" not in html  # issue 17: minutes


def test_an_api_that_is_down_gives_a_clear_page_not_a_crash(client, fake):
    agree(client)
    fake.fail_next("POST", "/v1/applications", 503)
    response = follow(client, post(client, "/register/details", {"email": "a@example.jp"}))
    assert response.status_code == 503
    assert "ただいまサービスに接続できません。" in text(response)
    fake.fail_next("GET", "/v1/terms", 500)
    assert client.get("/register").status_code == 503


def register_password(client, fake, password="Pass-word1", key=None):  # noqa: S107
    details(client, fake)
    application = list(fake.applications.values())[0]
    return post(client, "/register/password", {
        "password": password, "password_confirmation": password,
        "auth_key": key if key is not None else application["auth_key"].lower()})


def test_r12_password_registration_completes_and_offers_the_login(client, fake):
    response = register_password(client, fake)
    assert response.status_code == 303 and response.headers["Location"] == "/register/complete"
    sent = fake.last("/v1/password-registrations")["json"]
    assert set(sent) == {"application_token", "auth_key", "password", "password_confirmation"}
    html = text(client.get("/register/complete"))
    assert "パスワード登録完了" in html and "ログイン画面へ進む" in html
    assert "hanako@example.jp" in html
    assert text(client.get("/register/password")).count("パスワード登録の申込が見つかりません") == 1


def test_r11_weak_password_is_refused_next_to_the_password(client, fake):
    response = follow(client, register_password(client, fake, password="password"))
    assert response.status_code == 422
    html = text(response)
    assert "パスワードは半角数字、英字、記号を含む8文字以上32文字以内にしてください。" in field_error(html, "password")
    assert 'value="password"' not in html  # passwords are never echoed back


def test_r10_wrong_auth_key_is_shown_next_to_the_key(client, fake):
    response = follow(client, register_password(client, fake, key="ZZZZZZZZ"))
    assert response.status_code == 400
    assert "認証キーが正しくありません。" in field_error(text(response), "auth_key")


def test_r10_expired_auth_key_asks_to_start_again(client, fake):
    details(client, fake)
    fake.expire_applications()
    key = list(fake.applications.values())[0]["auth_key"]
    response = follow(client, post(client, "/register/password", {
        "password": "Pass-word1", "password_confirmation": "Pass-word1", "auth_key": key}))
    html = text(response)
    # R14, issue 17: one clear message, and the only action is to start again.
    assert html.count("認証キーの有効期限（メール配信から50分）が過ぎたため") == 1
    assert 'name="auth_key"' not in html and "完了" not in html
    main = html.split('<main', 1)[1].split('</main>', 1)[0]
    assert re.findall(r'<a [^>]*href="([^"]+)"', main) == ["/register"]
    assert "はじめからやり直す" in main


def test_r14_without_the_application_in_the_session_the_person_starts_again(client, fake):
    html = text(client.get("/register/password"))
    assert "パスワード登録の申込が見つかりません" in html
    assert 'href="/register"' in html


def test_r9_voided_application_clears_the_session_and_starts_again(client, fake):
    details(client, fake)
    fake.applications.clear()
    response = follow(client, post(client, "/register/password", {
        "password": "Pass-word1", "password_confirmation": "Pass-word1", "auth_key": "ABCDEFGH"}))
    assert "パスワード登録の申込が見つかりません" in text(response)
    assert "パスワード登録の申込が見つかりません" in text(client.get("/register/password"))


def test_r13_login_shows_my_page_with_the_details_and_logout_ends_it(client, fake):
    register_password(client, fake)
    login = client.get("/login")
    assert 'value="hanako@example.jp"' in text(login)
    response = client.post("/login", data={"email": "hanako@example.jp", "password": "Pass-word1",
                                           "csrf_token": csrf_of(login.data)})
    assert response.status_code == 303 and response.headers["Location"] == "/mypage"
    html = text(client.get("/mypage"))
    assert "hanako@example.jp" in html and NUMBER in html and "日本時間" in html
    token = list(fake.sessions)[0]
    assert fake.last("/v1/me")["headers"]["Authorization"] == f"Bearer {token}"
    response = post(client, "/mypage", {}, action="/logout")
    assert response.status_code == 303
    assert fake.sessions == {}
    assert "ログアウトしました。" in text(client.get("/"))
    assert client.get("/mypage").headers["Location"] == "/login"


def test_r13_wrong_password_is_refused_with_a_page_error(client, fake):
    response = follow(client, post(client, "/login", {"email": "nobody@example.jp",
                                                      "password": "x"}))
    assert response.status_code == 401
    html = text(response)
    assert "メールアドレスまたはパスワードが正しくありません。" in html
    assert 'value="nobody@example.jp"' in html


def test_r13_expired_session_sends_the_person_back_to_login(client, fake):
    register_password(client, fake)
    post(client, "/login", {"email": "hanako@example.jp", "password": "Pass-word1"})
    fake.sessions.clear()
    response = client.get("/mypage")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "ログインの有効期限が切れました" in text(client.get("/login"))


def test_english_switch_is_kept_in_a_cookie_and_passed_to_the_apis(client, fake):
    response = client.get("/register?lang=en")
    assert response.status_code == 303 and response.headers["Location"] == "/register"
    assert "lang=en" in response.headers["Set-Cookie"]
    html = text(client.get("/register"))
    assert 'lang="en"' in html and "My Page terms confirmation" in html
    assert fake.last("/v1/terms")["headers"]["Accept-Language"] == "en"
    fake.add_code(NUMBER, BIRTH)
    response = follow(client, details(client, fake, code="ZZZZZZZZZZ"))
    assert "The job-seeker number, birth date or code is wrong." in text(response)
    client.get("/?lang=ja")
    assert 'lang="ja"' in text(client.get("/"))
