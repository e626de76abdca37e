"""The mailer keeps its SMTP connection between mails, checks it before use, and opens a new
one when the kept one is gone or too old; a failure never resends a mail."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from notifier.mail import DeliveryError, SmtpMailer, render_auth_key_mail

from testsupport import free_port

pytestmark = pytest.mark.integration


class Recorder:
    """Which connection (its aiosmtpd session) carried each mail; refuses while told to."""

    def __init__(self):
        self.received = []  # (session id, recipients)
        self.refuse = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((id(session), list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def server():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, recorder
    finally:
        controller.stop()


def mail(to="taro@example.jp"):
    return render_auth_key_mail(to=to, auth_key="7K3QZ9MX", handed_at=datetime.now(UTC),
                                minutes=50, tz=ZoneInfo("Asia/Tokyo"),
                                mail_from="system@mail.example.jp")


def test_mails_share_one_connection_while_it_is_young(server):
    controller, recorder = server
    mailer = SmtpMailer("127.0.0.1", controller.port)
    for n in range(3):
        mailer.send(mail(f"p{n}@example.jp"))
    mailer.close()
    assert [rcpt for _, rcpt in recorder.received] == [[f"p{n}@example.jp"] for n in range(3)]
    assert len({session for session, _ in recorder.received}) == 1


def test_no_reuse_opens_one_connection_per_mail(server):
    controller, recorder = server
    mailer = SmtpMailer("127.0.0.1", controller.port, reuse_seconds=0)
    mailer.send(mail())
    mailer.send(mail())
    assert len({session for session, _ in recorder.received}) == 2
    assert mailer._smtp is None


def test_a_connection_the_server_closed_is_replaced_before_the_mail():
    recorder, port = Recorder(), free_port()
    first = Controller(recorder, hostname="127.0.0.1", port=port)
    first.start()
    mailer = SmtpMailer("127.0.0.1", port)
    try:
        mailer.send(mail("first@example.jp"))
    finally:
        first.stop()  # every connection closed; a new server comes up on the same port
    second = Controller(recorder, hostname="127.0.0.1", port=port)
    second.start()
    try:
        mailer.send(mail("second@example.jp"))
        mailer.close()
    finally:
        second.stop()
    assert [rcpt for _, rcpt in recorder.received] == [["first@example.jp"],
                                                       ["second@example.jp"]]
    assert len({session for session, _ in recorder.received}) == 2


def test_a_refused_mail_drops_the_connection_and_is_not_resent(server):
    controller, recorder = server
    mailer = SmtpMailer("127.0.0.1", controller.port)
    mailer.send(mail("first@example.jp"))
    recorder.refuse = "550 no such user"
    with pytest.raises(DeliveryError) as refused:
        mailer.send(mail("second@example.jp"))
    assert refused.value.permanent is True
    assert mailer._smtp is None
    recorder.refuse = None
    mailer.send(mail("third@example.jp"))
    mailer.close()
    assert [rcpt for _, rcpt in recorder.received] == [["first@example.jp"],
                                                       ["third@example.jp"]]
