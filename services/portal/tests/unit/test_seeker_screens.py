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
    assert "約15分後から、もう一度お試しいただけます。" in html and "899" not in html  # issue 17: minutes


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


# --- issue 17: the job seeker's traps ----------------------------------------------------
def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def session_data(client) -> str:
    """The session cookie's payload as text (signed, not encrypted: anyone can read it)."""
    import base64
    import zlib

    cookie = client.get_cookie("portal_session").value
    payload = cookie[1:] if cookie.startswith(".") else cookie
    raw = base64.urlsafe_b64decode(payload.split(".")[0] + "==")
    return (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()


def test_r10_wrong_key_keeps_the_passwords_empties_the_key_and_says_tries_left(client, fake):
    response = register_password(client, fake, key="ZZZZZZZZ")
    assert response.headers["Location"] == "/register/password"
    html = text(client.get("/register/password"))
    assert 'id="password" name="password" type="password" value="Pass-word1"' in html
    assert 'name="password_confirmation" type="password" value="Pass-word1"' in html
    assert 'name="auth_key" type="text" value=""' in html
    error = field_error(html, "auth_key")
    assert "認証キーが正しくありません。" in error and "あと4回" in error
    # "start again" is not under the error, nor inside the form: it is its own section below.
    form = html.split("<form", 1)[1].split("</form>", 1)[0]
    assert 'href="/register"' not in form
    assert html.index('class="start-over"') > html.index("</form>")


def test_r10_tries_left_count_down_in_english_and_the_last_one_is_named(client, fake):
    client.get("/?lang=en")
    details(client, fake)
    key = "ZZZZZZZZ"
    for left in (4, 3, 2, 1):
        page = follow(client, post(client, "/register/password", {
            "password": "Pass-word1", "password_confirmation": "Pass-word1", "auth_key": key}))
        expected = "1 try left" if left == 1 else f"{left} tries left"
        assert expected in field_error(text(page), "auth_key")


def test_r10_fifth_wrong_key_voids_the_application_with_only_start_again(client, fake):
    details(client, fake)
    fake.fail_next("POST", "/v1/password-registrations", 400, "AUTH_KEY_MISMATCH", attempts_left=0)
    html = text(follow(client, post(client, "/register/password", {
        "password": "Pass-word1", "password_confirmation": "Pass-word1", "auth_key": "ZZZZZZZZ"})))
    main = main_of(html)
    assert "認証キーを5回誤って入力したため、この申込みは無効になりました。" in main
    assert re.findall(r'<a [^>]*href="([^"]+)"', main) == ["/register"]
    assert "<form" not in main


def test_r9_password_screen_names_the_time_of_the_mail_whose_key_to_use(client, fake, clock):
    from datetime import UTC, datetime

    clock.set(datetime(2026, 4, 1, 4, 5, tzinfo=UTC))  # 13:05 JST
    details(client, fake)
    html = text(client.get("/register/password"))
    assert "13時05分に送信した「パスワード登録申込受付通知」メールに記載の認証キー" in html
    assert 'id="replaces-earlier"' not in html
    client.get("/?lang=en")
    assert "mail sent at 13:05" in text(client.get("/register/password"))


def test_r9_a_second_step_two_says_its_mail_replaces_the_earlier_one(client, fake, clock):
    from datetime import UTC, datetime

    clock.set(datetime(2026, 4, 1, 4, 5, tzinfo=UTC))
    code = fake.add_code(NUMBER, BIRTH)
    details(client, fake, code=code)
    clock.set(datetime(2026, 4, 1, 4, 12, tzinfo=UTC))
    details(client, fake, code=code)  # back to step 1 and through step 2 again
    html = text(client.get("/register/password"))
    assert "13時12分に送信した" in html
    assert "このメールは、13時05分に送信したメールに代わるものです。以前のメールの認証キーは使えません。" in html


def test_r9_the_api_saying_the_mail_replaces_an_earlier_one_is_told_too(client, fake):
    agree(client)
    code = fake.add_code(NUMBER, BIRTH)
    form = {"email": "hanako@example.jp", "email_confirmation": "hanako@example.jp",
            "job_seeker_number": NUMBER, "birth_date": BIRTH, "account_creation_code": code}
    original = fake.apply

    def apply_saying_replaced(body, lang):
        answer = original(body, lang)
        data = __import__("json").loads(answer.get_data())
        return fake._json({**data, "replaces_earlier": True}, 201)

    fake.apply = apply_saying_replaced
    post(client, "/register/details", form)
    assert "以前のメールの認証キーは使えません。" in text(client.get("/register/password"))


def test_r14_expired_key_screen_has_one_message_and_only_start_again(client, fake, clock):
    details(client, fake)
    clock.set(list(fake.applications.values())[0]["expires_at"] + timedelta(seconds=1))
    main = main_of(text(client.get("/register/password")))
    assert main.count("有効期限") == 2  # the title and the one sentence
    assert "<form" not in main and "完了" not in main
    assert re.findall(r'<a [^>]*href="([^"]+)"', main) == ["/register"]
    assert "はじめからやり直す" in main


def test_every_refused_post_answers_with_a_redirect_and_a_reload_is_safe(client, fake):
    fake.add_code(NUMBER, BIRTH)
    refused = [
        ("/register", {"privacy_policy": "agree"}, None),
        ("/register/details", {"email": "x"}, None),
        ("/login", {"email": "x@example.jp", "password": "x"}, None),
        ("/password-reset", {"email": "x@example.jp"}, None),
    ]
    agree(client)
    for page, data, action in refused:
        response = post(client, page, data, action)
        assert response.status_code == 303 and response.headers["Location"] == page
        assert 'class="error-summary"' in text(client.get(page))
        assert 'class="error-summary"' not in text(client.get(page))  # shown once: a reload is fresh
    details(client, fake)
    assert post(client, "/register/password", {"auth_key": "x"}).status_code == 303


def test_kept_values_are_sealed_not_readable_in_the_cookie(client, fake):
    follow_up = register_password(client, fake, key="ZZZZZZZZ")
    assert follow_up.status_code == 303
    assert "Pass-word1" not in session_data(client)
    agree(client)
    post(client, "/register/details", {"account_creation_code": "SECRETCODE"})
    assert "SECRETCODE" not in session_data(client)
    assert 'value="SECRETCODE"' in text(client.get("/register/details"))


def test_r13_throttled_login_waits_in_minutes_and_names_the_forgotten_password_link(client, fake):
    fake.fail_next("POST", "/v1/sessions", 429, "RATE_LIMITED", headers={"Retry-After": "899"})
    response = follow(client, post(client, "/login", {"email": "a@example.jp", "password": "x"}))
    assert response.status_code == 429
    summary = text(response).split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "約15分後から、もう一度お試しいただけます。" in summary and "899" not in summary
    assert "「パスワードを忘れた方」から再設定できます。" in summary
    assert '<a href="/password-reset">パスワードを忘れた方</a>' in summary


def test_login_screen_links_the_forgotten_password_page(client):
    html = text(client.get("/login"))
    assert '<a href="/password-reset">パスワードを忘れた方</a>' in html
    client.get("/?lang=en")
    assert "Forgot your password?" in text(client.get("/login"))


def test_r12_account_exists_and_taken_code_or_email_link_to_login_and_forgotten_password(client,
                                                                                        fake):
    register_password(client, fake)  # 12345-1234567 has an account now
    for make in (
        lambda: details(client, fake, email="other@example.jp",  # ACCOUNT_EXISTS
                        email_confirmation="other@example.jp"),
        lambda: details(client, fake, code=fake.codes[0]["code"]),  # CODE_ALREADY_USED
    ):
        html = text(follow(client, make()))
        summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
        assert '<a href="/login">ログイン画面へ</a>' in summary
        assert '<a href="/password-reset">パスワードを忘れた方</a>' in summary
    assert fake.last("/v1/applications")["json"]["account_creation_code"] == fake.codes[0]["code"]
    fake.codes.clear()
    fake.accounts["hanako@example.jp"]["job_seeker_number"] = "99999-1"
    html = text(follow(client, details(client, fake)))  # EMAIL_ALREADY_REGISTERED
    assert "このメールアドレスは登録済みです。" in field_error(html, "email")
    assert '<a href="/password-reset">パスワードを忘れた方</a>' in html


def test_r7_number_typed_without_its_hyphen_on_a_phone_is_sent_with_it(client, fake):
    html = text(client.get("/register/details")) if agree(client) else ""
    field = re.search(r'<input id="job_seeker_number"[^>]*>', html).group(0)
    assert 'inputmode="numeric"' in field and "pattern=" not in field
    assert "ハイフン（-）は省略して数字だけでも入力できます。" in html
    response = details(client, fake, job_seeker_number="１２３４５１２３４５６７")
    assert response.headers["Location"] == "/register/password"
    assert fake.last("/v1/applications")["json"]["job_seeker_number"] == NUMBER


def test_r5_code_field_keeps_its_value_after_every_step_two_error(client, fake):
    code = fake.add_code(NUMBER, BIRTH)
    for override in ({"email_confirmation": "x@example.jp"}, {"birth_date": "1990-04-02"},
                     {"email": ""}):
        html = text(follow(client, details(client, fake, code=code, **override)))
        assert f'value="{code}"' in html, override


# --- R15: forgotten password -------------------------------------------------------------
def reset_request(client, fake, **override):
    form = {"email": "hanako@example.jp", "job_seeker_number": NUMBER, "birth_date": BIRTH,
            **override}
    return post(client, "/password-reset", form)


def test_r15_forgot_form_sends_the_three_facts_and_keeps_the_token_out_of_urls(client, fake, clock):
    from datetime import UTC, datetime

    register_password(client, fake)
    clock.set(datetime(2026, 4, 1, 4, 5, tzinfo=UTC))
    html = text(client.get("/password-reset"))
    assert "パスワードを忘れた方" in html and 'autocomplete="bday"' in html
    response = reset_request(client, fake, job_seeker_number="123451234567", birth_date="1990/4/1")
    assert response.status_code == 303 and response.headers["Location"] == "/password-reset/new"
    sent = fake.last("/v1/password-resets")["json"]
    assert sent == {"email": "hanako@example.jp", "job_seeker_number": NUMBER,
                    "birth_date": BIRTH}
    token = list(fake.resets)[0]
    page = text(client.get("/password-reset/new"))
    assert token not in page and token not in response.headers["Location"]
    assert "入力された内容が登録と一致する場合、13時05分に hanako@example.jp 宛に" in page
    assert 'name="reset_key"' in page and 'autocomplete="new-password"' in page


def test_r15_the_answer_is_the_same_whether_or_not_anything_matched(client, fake):
    reset_request(client, fake, email="nobody@example.jp")
    unknown = main_of(text(client.get("/password-reset/new")))
    register_password(client, fake)
    reset_request(client, fake, email="hanako@example.jp")
    known = main_of(text(client.get("/password-reset/new")))
    strip = re.compile(r"nobody@example.jp|hanako@example.jp|value=\"[^\"]*\"|"
                       r"data-seconds-left=\"\d+\"|\d+分\d+秒")
    assert strip.sub("", unknown) == strip.sub("", known)


def test_r15_reset_completes_ends_the_session_and_offers_the_login(client, fake):
    register_password(client, fake)
    post(client, "/login", {"email": "hanako@example.jp", "password": "Pass-word1"})
    reset_request(client, fake)
    key = list(fake.resets.values())[0]["key"]
    response = post(client, "/password-reset/new", {
        "reset_key": key.lower(), "password": "New-pass-2", "password_confirmation": "New-pass-2"})
    assert response.status_code == 303 and response.headers["Location"] == "/password-reset/done"
    sent = fake.last("/v1/password-reset-completions")["json"]
    assert set(sent) == {"reset_token", "reset_key", "password", "password_confirmation"}
    html = text(client.get("/password-reset/done"))
    assert "パスワードを変更しました" in html and 'href="/login"' in html
    assert client.get("/mypage").headers["Location"] == "/login"  # every session ended
    assert 'value="hanako@example.jp"' in text(client.get("/login"))
    response = post(client, "/login", {"email": "hanako@example.jp", "password": "New-pass-2"})
    assert response.headers["Location"] == "/mypage"


def test_r15_wrong_reset_key_keeps_the_new_passwords_and_says_tries_left(client, fake):
    register_password(client, fake)
    reset_request(client, fake)
    html = text(follow(client, post(client, "/password-reset/new", {
        "reset_key": "ZZZZZZZZ", "password": "New-pass-2", "password_confirmation": "New-pass-2"})))
    assert "再設定キーが正しくありません。" in field_error(html, "reset_key")
    assert "あと4回" in field_error(html, "reset_key")
    assert 'name="password" type="password" value="New-pass-2"' in html
    assert 'name="reset_key" type="text" value=""' in html


def test_r15_fifth_wrong_key_or_unknown_reset_asks_for_a_new_key_only(client, fake):
    register_password(client, fake)
    reset_request(client, fake)
    for _ in range(5):
        post(client, "/password-reset/new", {"reset_key": "ZZZZZZZZ", "password": "New-pass-2",
                                             "password_confirmation": "New-pass-2"})
    main = main_of(text(client.get("/password-reset/new")))
    assert "パスワード再設定の手続きが見つからないか、無効になりました" in main
    assert re.findall(r'<a [^>]*href="([^"]+)"', main) == ["/password-reset"]
    assert "再設定の手続きが見つかりません" in text(client.get("/password-reset/new"))
    fresh = client.application.test_client()
    assert "<form" not in main_of(text(fresh.get("/password-reset/new")))


def test_r15_expired_reset_key_has_one_message_and_only_ask_again(client, fake, clock):
    register_password(client, fake)
    reset_request(client, fake)
    fake.expire_resets()
    key = list(fake.resets.values())[0]["key"]
    main = main_of(text(follow(client, post(client, "/password-reset/new", {
        "reset_key": key, "password": "New-pass-2", "password_confirmation": "New-pass-2"}))))
    assert main.count("有効期限") == 2 and "<form" not in main
    assert re.findall(r'<a [^>]*href="([^"]+)"', main) == ["/password-reset"]
    # The portal's own clock tells too, without asking the API.
    reset_request(client, fake)
    clock.set(list(fake.resets.values())[-1]["expires_at"] + timedelta(seconds=1))
    assert "認証キーの有効期限が過ぎました" in text(client.get("/password-reset/new"))


def test_r15_field_errors_unchanged_password_and_rate_limit_are_shown_where_they_belong(client,
                                                                                       fake):
    html = text(follow(client, reset_request(client, fake, job_seeker_number="12")))
    assert "形式が正しくありません。" in field_error(html, "job_seeker_number")
    assert 'value="hanako@example.jp"' in html
    register_password(client, fake)
    reset_request(client, fake)
    key = list(fake.resets.values())[0]["key"]
    html = text(follow(client, post(client, "/password-reset/new", {
        "reset_key": key, "password": "Pass-word1", "password_confirmation": "Pass-word1"})))
    assert "現在のパスワードとは別のパスワードにしてください。" in field_error(html, "password")
    # typed again after an error about it
    assert "value=" not in re.search(r'<input id="password"[^>]*>', html).group(0)
    html = text(follow(client, post(client, "/password-reset/new", {
        "reset_key": key, "password": "weak", "password_confirmation": "weak"})))
    assert "パスワードは半角数字" in field_error(html, "password")
    fake.fail_next("POST", "/v1/password-resets", 429, "RATE_LIMITED",
                   headers={"Retry-After": "3600"})
    response = follow(client, reset_request(client, fake))
    assert response.status_code == 429 and "約60分後から、もう一度お試しいただけます。" in text(response)


def test_r15_screens_in_english(client, fake):
    client.get("/?lang=en")
    assert "Forgot your password?" in text(client.get("/password-reset"))
    reset_request(client, fake)
    html = text(client.get("/password-reset/new"))
    assert "Reset password" in html and "Reset key" in html and "New password" in html
    assert fake.last("/v1/password-resets")["headers"]["Accept-Language"] == "en"


def test_a_huge_refused_form_never_outgrows_the_session_cookie(client, fake):
    agree(client)
    huge = "あ" * 200
    fake.fail_next("POST", "/v1/applications", 422, "VALIDATION_FAILED",
                   fields={name: "format" for name in ("email", "email_confirmation",
                                                       "job_seeker_number", "birth_date",
                                                       "account_creation_code")})
    response = post(client, "/register/details", {name: huge for name in (
        "email", "email_confirmation", "job_seeker_number", "birth_date",
        "account_creation_code")})
    assert len(response.headers["Set-Cookie"]) < 4000
    page = follow(client, response)
    assert page.status_code == 422 and "形式が正しくありません。" in text(page)
    assert huge not in text(page)  # too long to keep: typed again
    assert client.get("/register/details").status_code == 200  # still agreed: nothing lost


def test_a_kept_form_is_shown_only_on_its_own_screen(client, fake):
    response = post(client, "/login", {"email": "x@example.jp", "password": "x"})
    assert response.status_code == 303
    html = text(client.get("/password-reset"))  # another screen first: the kept login is dropped
    assert 'class="error-summary"' not in html and 'value="x@example.jp"' not in html
    assert 'class="error-summary"' not in text(client.get("/login"))


def test_r19_r20_the_persons_user_agent_reaches_registration(client, fake):
    client.get("/register", headers={"User-Agent": "Mozilla/5.0 (iPhone) Mobile/15E148 Safari/604.1"})
    assert fake.last("/v1/terms")["headers"]["User-Agent"].endswith("Safari/604.1")
