import json
import re
from datetime import timedelta
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
