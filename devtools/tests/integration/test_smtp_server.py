import dataclasses
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from notifier.mail import DeliveryError, SmtpMailer, render_auth_key_mail

from devtools.mailstore import INDEX

pytestmark = pytest.mark.integration


def auth_key_mail(to="taro@example.jp", key="7K3QZ9MX"):
    return render_auth_key_mail(to=to, auth_key=key, handed_at=datetime.now(UTC), minutes=50,
                                tz=ZoneInfo("Asia/Tokyo"), mail_from="system@mail.example.jp")


def test_received_mails_are_listed_newest_first_with_decoded_subject_and_text(mailbox):
    mailer = SmtpMailer("127.0.0.1", mailbox.smtp_port)
    mailer.send(auth_key_mail(to="first@example.jp", key="AAAA1111"))
    mailer.send(auth_key_mail(to="second@example.jp", key="BBBB2222"))
    listed = mailbox.messages()
    assert [m["to"] for m in listed] == ["second@example.jp", "first@example.jp"]
    newest = listed[0]
    assert set(newest) >= {"id", "to", "subject", "received_at", "text"}
    assert newest["subject"] == "パスワード登録申込受付通知"
    assert "BBBB2222" in newest["text"] and "認証キー" in newest["text"]
    assert newest["received_at"].endswith("Z")
    raw = mailbox.call("GET", f"/api/messages/{newest['id']}/raw")
    assert "Subject: =?utf-8?" in raw


def test_the_page_shows_the_mails_readably_and_escaped(mailbox):
    mail = auth_key_mail()  # multipart/alternative: the page shows its plain part
    message = mail.parsed()
    message.get_body(("plain",)).set_content("<script>alert(1)</script> 認証キー",
                                             charset="utf-8", cte="base64")
    SmtpMailer("127.0.0.1", mailbox.smtp_port).send(
        dataclasses.replace(mail, data=message.as_bytes(policy=message.policy.clone(linesep="\r\n"))))
    status, kind, body = mailbox.request("GET", "/")
    page = body.decode("utf-8")
    assert status == 200 and kind == "text/html; charset=utf-8"
    assert "パスワード登録申込受付通知" in page and "taro@example.jp" in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_refuse_makes_the_server_answer_451_until_told_to_accept(mailbox):
    mailer = SmtpMailer("127.0.0.1", mailbox.smtp_port)
    assert mailbox.refuse(451)["refusing"] == 451
    with pytest.raises(DeliveryError) as refused:
        mailer.send(auth_key_mail())
    assert refused.value.permanent is False and "451" in refused.value.detail
    mailbox.accept()
    mailer.send(auth_key_mail())
    assert len(mailbox.messages()) == 1


def test_refuse_for_some_seconds_ends_by_itself_and_5xx_is_permanent(mailbox):
    mailer = SmtpMailer("127.0.0.1", mailbox.smtp_port)
    mailbox.refuse(550, seconds=0.3)
    with pytest.raises(DeliveryError) as rejected:
        mailer.send(auth_key_mail())
    assert rejected.value.permanent is True
    time.sleep(0.4)
    mailer.send(auth_key_mail())
    assert len(mailbox.messages()) == 1


def test_delete_clears_the_mailbox(mailbox):
    SmtpMailer("127.0.0.1", mailbox.smtp_port).send(auth_key_mail())
    assert mailbox.clear() == {"deleted": 1}
    assert mailbox.messages() == []


def test_bad_control_requests_get_a_clear_4xx(mailbox):
    assert mailbox.request("POST", "/api/refuse", {"code": 250})[0] == 422
    assert mailbox.request("POST", "/api/refuse", {"code": 451, "seconds": -1})[0] == 422
    assert mailbox.request("POST", "/api/delay", {"seconds": "x"})[0] == 422
    assert mailbox.request("POST", "/api/refuse", b"not json")[0] == 400
    assert mailbox.request("GET", "/nothing")[0] == 404
    assert mailbox.status()["refusing"] is None


MUTATING = [("DELETE", "/api/messages", None), ("POST", "/api/refuse", {"code": 451}),
            ("POST", "/api/delay", {"seconds": 30}), ("POST", "/api/accept", {})]


@pytest.mark.parametrize(("method", "path", "body"), MUTATING)
@pytest.mark.parametrize("token", [None, "wrong-token", " "])
def test_item13_test_controls_without_the_token_are_refused_and_change_nothing(
        mailbox, method, path, body, token):
    SmtpMailer("127.0.0.1", mailbox.smtp_port).send(auth_key_mail())
    status, kind, raw = mailbox.request(method, path, body, token=token)
    assert status == 401 and kind.startswith("application/json")
    assert b"MAIL_PAGE_TOKEN" in raw
    assert len(mailbox.messages()) == 1
    assert mailbox.status()["refusing"] is None and mailbox.status()["delay_seconds"] == 0


def test_item13_reading_needs_no_token(mailbox):
    assert mailbox.request("GET", "/api/messages", token=None)[0] == 200
    assert mailbox.request("GET", "/api/status", token=None)[0] == 200
    assert mailbox.request("GET", "/", token=None)[0] == 200


def test_issue19_messages_to_one_address_and_the_newest_few(mailbox):
    mailer = SmtpMailer("127.0.0.1", mailbox.smtp_port)
    for to, key in [("a@example.jp", "AAAA1111"), ("b@example.jp", "BBBB2222"),
                    ("a@example.jp", "AAAA3333")]:
        mailer.send(auth_key_mail(to=to, key=key))
    mine = mailbox.messages(to="a@example.jp")
    assert [m["to"] for m in mine] == ["a@example.jp", "a@example.jp"]
    assert "AAAA3333" in mine[0]["text"] and "AAAA1111" in mine[1]["text"]
    assert mine == [m for m in mailbox.messages() if m["to"] == "a@example.jp"]
    assert [m["to"] for m in mailbox.messages(limit=1)] == ["a@example.jp"]
    assert mailbox.messages(to="nobody@example.jp") == []


@pytest.mark.parametrize(("query", "field"), [
    ("?limit=0", "limit"), ("?limit=x", "limit"), ("?limit=-1", "limit"),
    ("?limit=%EF%BC%91", "limit"), ("?to=", "to"), ("?to=nobody", "to"), ("?from=a@example.jp", "from"),
    ("?to=a@example.jp&to=b@example.jp", "to"),
])
def test_issue19_a_bad_filter_is_a_422_naming_it(mailbox, query, field):
    status, kind, raw = mailbox.request("GET", f"/api/messages{query}")
    assert status == 422 and kind.startswith("application/json")
    assert json.loads(raw)["error"]["field"] == field


def test_issue19_several_clients_at_once_every_mail_stored_once(mailbox):
    """Eight SMTP clients sending at once while a reader polls by recipient: every mail is
    listed once, the index has one line per mail and each line its file."""
    faults, polls = [], []
    done = threading.Event()

    def poll():
        while not done.is_set():
            listed = mailbox.messages(to="w0@example.jp")
            if len({m["id"] for m in listed}) != len(listed) or any(
                    "認証キー" not in m["text"] for m in listed):
                faults.append(listed)
            polls.append(len(listed))

    def send(worker):
        mailer = SmtpMailer("127.0.0.1", mailbox.smtp_port)
        for n in range(15):
            mailer.send(auth_key_mail(to=f"w{worker}@example.jp", key=f"K{worker:03d}{n:04d}"))

    reader = threading.Thread(target=poll)
    reader.start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(8)))
    done.set()
    reader.join()
    assert faults == [] and polls == sorted(polls) and polls[-1] <= 15
    listed = mailbox.messages()
    assert len(listed) == 120 and len({m["id"] for m in listed}) == 120
    keys = {re.search(r"K[0-9]{7}", m["text"]).group(0) for m in listed}
    assert keys == {f"K{w:03d}{n:04d}" for w in range(8) for n in range(15)}
    for worker in range(8):
        assert len(mailbox.messages(to=f"w{worker}@example.jp")) == 15
    lines = (mailbox.store_dir / INDEX).read_bytes().splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(m["id"] for m in listed)
    assert all((mailbox.store_dir / f"{m['id']}.eml").exists() for m in listed)


def test_issue19_the_page_counts_every_mail(mailbox):
    mailer = SmtpMailer("127.0.0.1", mailbox.smtp_port)
    for n in range(3):
        mailer.send(auth_key_mail(to=f"p{n}@example.jp"))
    page = mailbox.request("GET", "/")[2].decode()
    assert "受信メール (3 通)" in page and "p0@example.jp" in page and "p2@example.jp" in page
