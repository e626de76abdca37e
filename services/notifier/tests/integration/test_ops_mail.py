"""`python -m notifier ops mail APPLICATION_ID`: what became of one auth-key mail."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from notifier import store
from notifier.store import notices

pytestmark = pytest.mark.integration

NOW = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


def ops(dsn, *args):
    return subprocess.run([sys.executable, "-m", "notifier", "ops", "mail", *args],
                          capture_output=True, text=True, timeout=60,
                          env={"DATABASE_URL": dsn, "PATH": "/usr/bin:/bin"})


def test_the_mail_of_an_application_is_shown_with_its_attempts_and_masked_error(pool, dsn):
    application_id = uuid.uuid4()
    with pool.connection() as conn, conn.transaction():
        store.add_delivery(conn, application_id, NOW + timedelta(minutes=50), NOW, NOW)
        store.record_attempt_failed(conn, application_id, "451 taro@example.jp: try later")

    shown = ops(dsn, str(application_id), "--json")

    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert (status["status"], status["attempts"], status["retries"]) == ("pending", 1, 1)
    assert status["last_error"] == "451 t***@example.jp: try later"
    assert "taro@" not in shown.stdout
    assert "status: pending" in ops(dsn, str(application_id)).stdout


def test_an_unknown_application_says_where_to_look_next(dsn):
    missing = ops(dsn, str(uuid.uuid4()))
    assert missing.returncode == 1
    assert "ops outbox" in missing.stderr
    assert ops(dsn, "not-a-uuid").returncode == 2  # argparse refuses it


def test_a_key_mail_or_notice_is_shown_by_its_id_with_its_kind(pool, dsn):
    notice_id = uuid.uuid4()
    with pool.connection() as conn, conn.transaction():
        notices.add(conn, notice_id, "new_login", NOW + timedelta(hours=24), NOW, NOW)
        notices.record_failed(conn, notice_id, "new_login", "rejected_by_mail_server",
                              "550 taro@example.jp: no such user", NOW)

    shown = ops(dsn, str(notice_id), "--json")

    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert (status["kind"], status["status"], status["failure_reason"]) == (
        "new_login", "failed", "rejected_by_mail_server")
    assert "taro@" not in shown.stdout
