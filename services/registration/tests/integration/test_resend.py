"""Issue 16's lever: `python -m registration ops resend APPLICATION_ID`, a new auth key for
an open application whose mail never arrived, within R9's mails per code and hour."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid

import pytest
from registration.commands import Caller, RecordDelivery, ResendAuthKey
from registration.usecases.applications import record_delivery, resend_auth_key

from shared.errors import Refused

pytestmark = pytest.mark.integration

OPERATOR = Caller("operator", None)


@pytest.fixture
def opened(bus, apply, mailbox, conn):
    """An open application whose mail has not arrived: (application id, token, first key)."""
    code_id, code, number = bus.issue()
    answer = apply(code, number, email="jiro@example.jp")
    assert answer.status_code == 201, answer.get_json()
    application_id = conn.execute(
        "SELECT application_id FROM applications WHERE code_id = %s AND status = 'open'",
        (code_id,)).fetchone()[0]
    return application_id, answer.get_json()["application_token"], mailbox.last_key()


def test_a_resent_key_replaces_the_stuck_one_and_opens_the_account(opened, config, clock, conn,
                                                                  mailbox, register):
    application_id, token, first_key = opened

    result = resend_auth_key(conn, ResendAuthKey(application_id), clock.now(), config=config,
                             caller=OPERATOR)

    (headers, kwargs), = mailbox.tasks()
    assert kwargs["application_id"] == str(application_id) == result["application_id"]
    assert kwargs["email"] == "jiro@example.jp"
    assert kwargs["replaces_earlier"] is True  # issue 17: the mail says its key replaces one
    new_key = kwargs["auth_key"]
    assert new_key != first_key
    assert conn.execute("SELECT count(*) FROM auth_key_mails WHERE application_id = %s",
                        (application_id,)).fetchone()[0] == 2  # R9 counts both mails
    assert register(token, first_key).status_code == 400  # the old key no longer works
    assert register(token, new_key).status_code == 201


def test_a_resend_is_refused_for_an_unknown_closed_or_delivered_application(opened, config,
                                                                           clock, conn):
    application_id, _token, _key = opened

    def refusal(application):
        with pytest.raises(Refused) as refused:
            resend_auth_key(conn, ResendAuthKey(application), clock.now(), config=config,
                            caller=OPERATOR)
        return refused.value.code

    assert refusal(uuid.uuid4()) == "APPLICATION_NOT_FOUND"
    with conn.transaction():
        record_delivery(conn, RecordDelivery(application_id, clock.now()), clock.now())
    assert refusal(application_id) == "AUTH_KEY_DELIVERED"
    conn.execute("UPDATE applications SET status = 'voided' WHERE application_id = %s",
                 (application_id,))
    assert refusal(application_id) == "APPLICATION_CLOSED"


def test_r9_a_resend_counts_against_the_mails_per_code_and_hour(opened, config, clock, conn,
                                                                mailbox):
    application_id, _token, _key = opened
    two_an_hour = dataclasses.replace(config, mails_per_code_per_hour=2)
    resend_auth_key(conn, ResendAuthKey(application_id), clock.now(), config=two_an_hour,
                    caller=OPERATOR)
    with pytest.raises(Refused) as refused:
        resend_auth_key(conn, ResendAuthKey(application_id), clock.now(), config=two_an_hour,
                        caller=OPERATOR)
    assert refused.value.code == "MAIL_LIMIT_REACHED"
    assert refused.value.retry_after > 0
    assert len(mailbox.tasks()) == 1  # the refused one mailed nothing


def test_the_resend_command_tells_the_operator(opened, dsn, topology, clock, conn):
    application_id, _token, _key = opened
    env = {"DATABASE_URL": dsn, "BUS_NAMESPACE": topology.namespace, "PATH": "/usr/bin:/bin",
           "DIGEST_SECRET": "x" * 40}

    def ops(*args):
        return subprocess.run([sys.executable, "-m", "registration", "ops", "resend", *args],
                              capture_output=True, text=True, timeout=60, env=env)

    done = ops(str(application_id))
    assert done.returncode == 0, done.stderr
    assert "a new auth key is on its way" in done.stdout
    unknown = ops(str(uuid.uuid4()))
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("APPLICATION_NOT_FOUND")
