import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ..conftest import csrf_of, post
from ..fakes import OFFICE_KEY

NUMBER, BIRTH = "12345-1234567", "1990-04-01"


def sign_in(client, key=OFFICE_KEY):
    return post(client, "/counter/signin", {"office_key": key})


def text(response) -> str:
    return response.data.decode()


def issue_form(client, page: str = "/counter") -> dict:
    """The hidden fields of the issue form as rendered: the CSRF token and the form's
    idempotency key (issue 17)."""
    html = text(client.get(page))
    return {"csrf_token": csrf_of(html),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)}


def submit_issue(client, data: dict, form: dict | None = None):
    """POST the issue form (a fresh one unless `form` is given); the redirect's answer."""
    return client.post("/counter/issue", data={**(form or issue_form(client)), **data})


def issue(client, number=NUMBER, birth_date=BIRTH, form=None):
    """Issue through the form and follow POST-redirect-GET to the page shown."""
    response = submit_issue(client, {"job_seeker_number": number, "birth_date": birth_date}, form)
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"])


def cookie_of(app, client) -> dict:
    """The portal's session cookie as anyone holding it can read it (signed, not secret)."""
    value = client.get_cookie("portal_session").value
    return app.session_interface.get_signing_serializer(app).loads(value)


def test_counter_screens_need_a_sign_in(client):
    response = client.get("/counter")
    assert response.status_code == 303 and response.headers["Location"] == "/counter/signin"
    assert "サインインしてください。" in text(client.get("/counter/signin"))


def test_wrong_office_key_is_refused_next_to_the_field(client, fake):
    response = sign_in(client, "wrong-key")
    assert response.status_code == 401
    html = text(response)
    assert 'id="office_key-error"' in html and "事業所APIキーが正しくありません。" in html
    assert "wrong-key" not in html
    assert client.get("/counter").status_code == 303


def test_item1_office_key_is_checked_by_whoami_and_never_reaches_the_browser(
        app, client, fake, counter_records):
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["Location"] == "/counter"
    probe = fake.last("/v1/whoami")
    assert probe["headers"]["Authorization"] == f"Bearer {OFFICE_KEY}"
    assert not any(r["path"] == "/v1/codes" for r in fake.requests)  # no dummy lookup
    assert OFFICE_KEY not in response.headers["Location"]
    cookie = cookie_of(app, client)
    assert set(cookie["counter"]) == {"sid", "wrap"}
    assert OFFICE_KEY not in json.dumps(cookie)
    assert OFFICE_KEY not in json.dumps(counter_records.records)
    assert client.get("/counter").status_code == 200


def test_r1_issue_shows_a_printable_slip_with_the_code_in_groups_and_jst_deadline(client, fake):
    sign_in(client)
    response = issue(client, birth_date="1990/4/1")
    assert response.status_code == 200
    html = text(response)
    issued = fake.codes[-1]
    assert fake.last("/v1/codes")["json"] == {"job_seeker_number": NUMBER, "birth_date": BIRTH}
    assert f"{issued['code'][:5]}-{issued['code'][5:]}" in html
    assert "1990年4月1日" in html  # the birth date it was issued for
    assert "（日本時間）" in html and "有効期限" in html
    assert "ご自宅での手続き" in html and "「完了」を押します" in html
    assert "Cache-Control" in response.headers and response.headers["Cache-Control"] == "no-store"


def test_r2_slip_shows_valid_until_2359_59_jst_of_the_fifth_day_after_issue(client, fake):
    sign_in(client)
    html = text(issue(client))
    last = (fake.codes[-1]["expires_at"] - timedelta(seconds=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    issued = fake.codes[-1]["issued_at"].astimezone(ZoneInfo("Asia/Tokyo"))
    assert (last.date() - issued.date()).days == 5
    assert f"{last.year}年{last.month}月{last.day}日 23時59分59秒（日本時間）" in html


def test_r3_re_issue_tells_that_earlier_codes_no_longer_work(client, fake):
    fake.add_code(NUMBER, BIRTH)
    sign_in(client)
    html = text(issue(client))
    assert "以前に発行したコード 1 件は無効になりました。" in html


def test_issue_with_bad_input_shows_the_api_errors_next_to_the_fields(client, fake):
    sign_in(client)
    response = submit_issue(client, {"job_seeker_number": "123", "birth_date": "昨日"})
    assert response.status_code == 422
    html = text(response)
    assert 'id="issue-job_seeker_number-error"' in html and 'id="issue-birth_date-error"' in html
    assert '<a href="#issue-birth_date">' in html
    assert fake.codes == []


def test_lookup_lists_codes_with_status_and_failed_attempts(client, fake):
    fake.add_code(NUMBER, BIRTH)
    fake.codes[-1]["failed_attempts"] = 3
    fake.add_code(NUMBER, BIRTH)
    sign_in(client)
    response = post(client, "/counter", {"job_seeker_number": NUMBER}, action="/counter/lookup")
    assert response.status_code == 303
    html = text(client.get("/counter"))
    rows = re.findall(r'<tr class="status-(\w+)">\s*<td>([^<]+)</td>.*?<td>(\d+)</td>', html, re.S)
    assert rows == [("active", "有効", "0"), ("superseded", "再発行により無効", "3")]
    assert NUMBER not in client.get("/counter").request.url


def test_lookup_of_a_malformed_number_is_refused_next_to_the_field(client, fake):
    sign_in(client)
    response = post(client, "/counter", {"job_seeker_number": "abc"}, action="/counter/lookup")
    assert response.status_code == 422
    assert 'id="job_seeker_number-error"' in text(response)


def test_lookup_of_a_person_without_codes_says_so(client, fake):
    sign_in(client)
    post(client, "/counter", {"job_seeker_number": NUMBER}, action="/counter/lookup")
    assert "発行済みのコードはありません。" in text(client.get("/counter"))


def test_counter_sign_in_expires_after_the_configured_hours(client, fake, clock):
    sign_in(client)
    clock.advance(hours=8, seconds=1)
    response = client.get("/counter")
    assert response.status_code == 303 and response.headers["Location"] == "/counter/signin"


def test_a_key_revoked_during_the_session_signs_the_counter_out(client, fake):
    sign_in(client)
    fake.fail_next("POST", "/v1/codes", 401, "UNAUTHORIZED")
    response = submit_issue(client, {"job_seeker_number": NUMBER, "birth_date": BIRTH})
    assert response.status_code == 303 and response.headers["Location"] == "/counter/signin"
    assert client.get("/counter").status_code == 303


def test_sign_out_forgets_the_office_key(client, fake):
    sign_in(client)
    response = post(client, "/counter", {}, action="/counter/signout")
    assert response.status_code == 303
    assert "サインアウトしました。" in text(client.get("/counter/signin"))
    assert client.get("/counter").status_code == 303


def test_slip_in_english(client, fake):
    client.get("/?lang=en")
    sign_in(client)
    html = text(issue(client))
    assert "Your account creation code" in html and "1 April 1990" in html and "(JST)" in html
    assert fake.last("/v1/codes")["headers"]["Accept-Language"] == "en"


def test_item1_counter_sign_in_lasts_8_hours_while_used_within_the_idle_limit(client, fake, clock):
    sign_in(client)
    for _ in range(23):  # a request every 20 minutes for 7 h 40 min
        clock.advance(minutes=20)
        assert client.get("/counter").status_code == 200
    clock.advance(minutes=19, seconds=59)
    assert client.get("/counter").status_code == 200
    clock.advance(seconds=1)
    response = client.get("/counter")
    assert response.status_code == 303 and response.headers["Location"] == "/counter/signin"
    assert "サインインの有効時間が過ぎました。" in text(client.get("/counter/signin"))


def test_item1_counter_sign_in_ends_after_30_minutes_without_a_request(client, fake, clock,
                                                                     counter_records):
    sign_in(client)
    clock.advance(minutes=29, seconds=59)
    assert client.get("/counter").status_code == 200
    clock.advance(minutes=30)
    response = client.get("/counter")
    assert response.status_code == 303 and response.headers["Location"] == "/counter/signin"
    assert "しばらく操作がなかったため" in text(client.get("/counter/signin"))
    assert counter_records.records == {}


def replay(app, cookie: str):
    """A second browser holding a copy of the counter's cookie."""
    thief = app.test_client()
    thief.set_cookie("portal_session", cookie)
    return thief


def copied_cookie(client) -> str:
    """The cookie once the counter's page was shown (it then holds a form token too)."""
    assert client.get("/counter").status_code == 200
    return client.get_cookie("portal_session").value


def issue_with(app, thief):
    """POST /counter/issue with the copied cookie and the form token it carries."""
    token = app.session_interface.get_signing_serializer(app).loads(
        thief.get_cookie("portal_session").value)["csrf"]
    return thief.post("/counter/issue", data={"job_seeker_number": NUMBER, "birth_date": BIRTH,
                                              "csrf_token": token, "idempotency_key": "copied"})


def test_item1_a_copied_cookie_is_refused_after_sign_out(app, client, fake):
    sign_in(client)
    stolen = copied_cookie(client)
    assert client.get("/counter").status_code == 200
    post(client, "/counter", {}, action="/counter/signout")
    before = len(fake.requests)
    thief = replay(app, stolen)
    response = issue_with(app, thief)
    assert response.status_code == 303 and response.headers["Location"] == "/counter/signin"
    assert thief.get("/counter").status_code == 303
    assert fake.requests[before:] == [] and fake.codes == []


def test_item1_a_copied_cookie_is_refused_after_the_idle_limit_and_after_expiry(
        app, client, fake, clock):
    sign_in(client)
    idle = copied_cookie(client)
    clock.advance(minutes=31)
    before = len(fake.requests)
    assert issue_with(app, replay(app, idle)).status_code == 303
    sign_in(client)
    expired = copied_cookie(client)
    clock.advance(hours=8)
    assert issue_with(app, replay(app, expired)).status_code == 303
    assert [r for r in fake.requests[before:] if r["path"] != "/v1/whoami"] == []
    assert fake.codes == []


def test_item1_a_copied_cookie_works_while_the_session_lives(app, client, fake):
    sign_in(client)
    assert issue_with(app, replay(app, copied_cookie(client))).status_code == 303
    assert len(fake.codes) == 1


def test_item1_signing_in_again_ends_the_previous_session(app, client, fake, counter_records):
    sign_in(client)
    first = copied_cookie(client)
    sign_in(client)
    assert len(counter_records.records) == 1
    assert replay(app, first).get("/counter").status_code == 303


def test_item1_the_job_seeker_looked_up_is_kept_beside_the_session_not_in_the_cookie(
        app, client, fake):
    sign_in(client)
    post(client, "/counter", {"job_seeker_number": NUMBER}, action="/counter/lookup")
    assert NUMBER not in json.dumps(cookie_of(app, client))
    assert f'value="{NUMBER}"' in text(client.get("/counter"))


# --- issue 17: the counter's traps ---------------------------------------------------------
def test_issue17_the_form_carries_a_fresh_idempotency_key_sent_to_code_issuer(client, fake):
    sign_in(client)
    first, second = issue_form(client), issue_form(client)
    assert first["idempotency_key"] != second["idempotency_key"]
    assert len(first["idempotency_key"]) >= 32
    issue(client, form=first)
    assert fake.last("/v1/codes")["headers"]["Idempotency-Key"] == first["idempotency_key"]


def test_issue17_issue_answers_with_a_redirect_to_the_slip_and_no_code_in_any_url(client, fake):
    sign_in(client)
    response = submit_issue(client, {"job_seeker_number": NUMBER, "birth_date": BIRTH})
    code = fake.codes[-1]
    assert response.status_code == 303
    assert response.headers["Location"] == f"/counter/slip/{code['code_id']}"
    assert code["code"] not in response.headers["Location"]
    slip = client.get(response.headers["Location"])
    assert slip.status_code == 200 and code["code"][:5] in text(slip)
    assert slip.headers["Cache-Control"] == "no-store"


def test_issue17_the_plain_code_is_held_sealed_beside_the_session(client, fake, counter_records):
    sign_in(client)
    submit_issue(client, {"job_seeker_number": NUMBER, "birth_date": BIRTH})
    code = fake.codes[-1]["code"]
    assert code not in json.dumps(counter_records.records)
    assert BIRTH not in json.dumps(counter_records.records)


def test_issue17_reloading_the_slip_issues_nothing_and_shows_no_code(client, fake):
    sign_in(client)
    response = submit_issue(client, {"job_seeker_number": NUMBER, "birth_date": BIRTH})
    slip_url = response.headers["Location"]
    code = fake.codes[-1]
    assert code["code"][:5] in text(client.get(slip_url))
    reloaded = client.get(slip_url)
    html = text(reloaded)
    assert reloaded.status_code == 200 and "このコードは発行済みです" in html
    assert code["code"][:5] not in html and code["code"][5:] not in html
    assert code["code_id"] in html and "1990年4月1日" in html and "（日本時間）" in html
    assert len(fake.codes) == 1


def test_issue17_resubmitting_the_form_issues_nothing_and_shows_the_already_issued_page(
        client, fake):
    sign_in(client)
    form = issue_form(client)
    issue(client, form=form)
    again = issue(client, form=form)  # Back, then the same form sent again
    assert len(fake.codes) == 1
    html = text(again)
    assert "このコードは発行済みです" in html and "新しいコードは発行していません" in html
    assert fake.codes[0]["code"][:5] not in html and fake.codes[0]["code_id"] in html
    assert fake.last("/v1/codes")["headers"]["Idempotency-Key"] == form["idempotency_key"]


def test_issue17_the_same_form_for_another_person_is_refused_and_a_fresh_form_offered(
        client, fake):
    sign_in(client)
    form = issue_form(client)
    issue(client, form=form)
    response = submit_issue(client, {"job_seeker_number": "12345-7", "birth_date": BIRTH}, form)
    assert response.status_code == 422 and len(fake.codes) == 1
    html = text(response)
    assert "この入力画面は使用済みか" in html
    assert f'value="{form["idempotency_key"]}"' not in html


def test_issue17_a_form_without_its_key_issues_nothing(client, fake):
    sign_in(client)
    form = {**issue_form(client), "idempotency_key": ""}
    response = submit_issue(client, {"job_seeker_number": NUMBER, "birth_date": BIRTH}, form)
    assert response.status_code == 422 and fake.codes == []


def test_issue17_a_slip_of_another_code_is_not_shown(client, fake):
    sign_in(client)
    issue(client)
    response = client.get("/counter/slip/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 303 and response.headers["Location"] == "/counter"


def test_r12_the_counter_shows_an_open_account_before_issuing(client, fake):
    fake.add_code(NUMBER, BIRTH)
    fake.people[NUMBER] = {"account_status": "open",
                           "account_since": datetime(2026, 4, 1, 1, 0, tzinfo=UTC)}
    sign_in(client)
    post(client, "/counter", {"job_seeker_number": NUMBER}, action="/counter/lookup")
    html = text(client.get("/counter"))
    assert "アカウント登録済み（2026年4月1日から）" in html
    assert "2つ目のアカウントは作成できません" in html
    client.get("/?lang=en")
    assert "Has an account (since 1 April 2026)" in text(client.get("/counter"))


def test_r12_the_counter_says_when_there_is_no_account_or_it_was_closed(client, fake):
    sign_in(client)
    post(client, "/counter", {"job_seeker_number": NUMBER}, action="/counter/lookup")
    assert "アカウントはありません" in text(client.get("/counter"))
    fake.people[NUMBER] = {"account_status": "closed",
                           "account_since": datetime(2026, 5, 2, 3, 0, tzinfo=UTC)}
    assert "アカウントは退会により閉鎖されています（2026年5月2日）" in text(client.get("/counter"))


def test_r12_issuing_for_a_person_with_an_account_asks_staff_to_confirm_first(client, fake):
    fake.people[NUMBER] = {"account_status": "open",
                           "account_since": datetime(2026, 4, 1, 1, 0, tzinfo=UTC)}
    sign_in(client)
    form = issue_form(client)
    response = submit_issue(client, {"job_seeker_number": NUMBER, "birth_date": BIRTH}, form)
    assert response.status_code == 303 and response.headers["Location"] == "/counter/confirm"
    assert fake.codes == []
    page = client.get("/counter/confirm")
    html = text(page)
    assert "発行前の確認" in html and "この方はアカウント登録済みです（2026年4月1日から）。" in html
    assert f'name="idempotency_key" value="{form["idempotency_key"]}"' in html
    confirmed = client.post("/counter/issue", data={
        "csrf_token": csrf_of(html), "job_seeker_number": NUMBER, "birth_date": BIRTH,
        "idempotency_key": form["idempotency_key"], "account_confirmed": "yes"})
    assert confirmed.status_code == 303 and confirmed.headers["Location"].startswith("/counter/slip/")
    assert len(fake.codes) == 1


def test_issue17_a_different_birth_date_asks_staff_to_confirm_showing_both_dates(client, fake):
    fake.add_code(NUMBER, BIRTH)
    sign_in(client)
    form = issue_form(client)
    response = submit_issue(client, {"job_seeker_number": NUMBER, "birth_date": "1990-04-02"}, form)
    assert response.status_code == 303 and response.headers["Location"] == "/counter/confirm"
    assert len(fake.codes) == 1
    html = text(client.get("/counter/confirm"))
    assert re.search(r'id="recorded-birth-date">1990年4月1日<', html)
    assert re.search(r'id="typed-birth-date">1990年4月2日<', html)
    assert 'name="birth_date_confirmed" value="yes"' in html
    slip = client.get(client.post("/counter/issue", data={
        "csrf_token": csrf_of(html), "job_seeker_number": NUMBER, "birth_date": "1990-04-02",
        "idempotency_key": form["idempotency_key"], "birth_date_confirmed": "yes",
    }).headers["Location"])
    assert fake.last("/v1/codes")["json"]["birth_date_confirmed"] is True
    assert len(fake.codes) == 2 and "1990年4月2日" in text(slip)


def test_issue17_the_confirmation_page_without_a_pending_issue_goes_back(client, fake):
    sign_in(client)
    response = client.get("/counter/confirm")
    assert response.status_code == 303 and response.headers["Location"] == "/counter"


def test_issue17_the_counter_shows_failed_attempts_and_where_the_last_came_from(client, fake):
    fake.add_code(NUMBER, BIRTH, failed_attempts=4,
                  last_failure_at=datetime(2026, 4, 1, 1, 2, 3, tzinfo=UTC),
                  last_failure_from="203.0.113.0/24")
    sign_in(client)
    post(client, "/counter", {"job_seeker_number": NUMBER}, action="/counter/lookup")
    html = text(client.get("/counter"))
    assert "最後の誤入力" in html
    assert "2026年4月1日 10時02分03秒（日本時間）（203.0.113.0/24 から）" in html
    assert re.search(r"<td>4</td>", html)
    client.get("/?lang=en")
    html = text(client.get("/counter"))
    assert "Last failed attempt" in html and "(from 203.0.113.0/24)" in html


def test_issue17_a_double_click_still_shows_the_code_once(client, fake):
    sign_in(client)
    form = issue_form(client)
    data = {"job_seeker_number": NUMBER, "birth_date": BIRTH}
    first = submit_issue(client, data, form)
    second = submit_issue(client, data, form)  # sent before the first answer was followed
    assert first.headers["Location"] == second.headers["Location"] and len(fake.codes) == 1
    code = fake.codes[0]["code"]
    assert code[:5] in text(client.get(second.headers["Location"]))
    assert code[:5] not in text(client.get(second.headers["Location"]))
