import ssl
import subprocess
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from notifier.mail import DeliveryError, SmtpMailer, render_auth_key_mail

from testsupport import free_port

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((session.authenticated, envelope.content))
        return "250 OK"


@pytest.fixture
def tls_server(tmp_path):
    """An SMTP server that requires STARTTLS and a login (user notifier / secret s3cret)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"notifier" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, authenticator=authenticator,
                            auth_require_tls=True)
    controller.start()
    try:
        yield controller.port, str(cert), recorder
    finally:
        controller.stop()


def mail():
    return render_auth_key_mail(to="taro@example.jp", auth_key="7K3QZ9MX",
                                handed_at=datetime.now(UTC), minutes=50,
                                tz=ZoneInfo("Asia/Tokyo"), mail_from="system@mail.example.jp")


def test_the_mailer_uses_starttls_and_logs_in_when_configured(tls_server):
    port, cert, recorder = tls_server
    SmtpMailer("127.0.0.1", port, starttls=True, user="notifier", password="s3cret",
               ca_file=cert).send(mail())
    [(authenticated, content)] = recorder.received
    assert authenticated
    assert BytesParser(policy=policy.default).parsebytes(content)["Subject"] == "パスワード登録申込受付通知"


def test_a_wrong_login_is_a_permanent_failure_and_plain_text_is_refused(tls_server):
    port, cert, recorder = tls_server
    with pytest.raises(DeliveryError) as wrong:
        SmtpMailer("127.0.0.1", port, starttls=True, user="notifier", password="nope",
                   ca_file=cert).send(mail())
    assert wrong.value.permanent is True and "s3cret" not in wrong.value.detail
    with pytest.raises(DeliveryError) as plain:
        SmtpMailer("127.0.0.1", port).send(mail())  # the server demands STARTTLS first
    assert plain.value.permanent is True
    assert recorder.received == []
