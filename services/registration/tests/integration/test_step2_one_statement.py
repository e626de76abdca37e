"""Issue 19, round trips: a step 2 whose triple does not match an active code is one
statement in autocommit (store.codes.check_or_charge) that looks the codes up and writes
the whole refusal; its SQL verdict is domain.identity_refusal's, and what it writes is what
the Python path wrote (the audit row, R4's count, the catalog's events, NOTIFY only on the
invalidation)."""

import re
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import pq
from registration import domain
from registration.events import code_failure_counted
from registration.store import applications as application_store
from registration.store import codes as code_store
from registration.usecases import applications

from shared.contracts.events import CATALOG, parse_envelope
from shared.errors import Refused
from shared.outbox import CHANNEL
from shared.tokens import keyed_digest

from .conftest import START
from .test_usecases import BIRTH, CALLER, application, issue

pytestmark = pytest.mark.integration


@pytest.fixture
def pooled(dsn):
    """A connection as the app's pool hands it out: not in autocommit."""
    with psycopg.connect(dsn) as conn:
        yield conn


@contextmanager
def round_trips(conn):
    """Counts the server's answers (ReadyForQuery: one per round trip, BEGIN and COMMIT
    included) with libpq's trace of the connection."""
    counted = []
    with tempfile.TemporaryFile("w+") as trace:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield counted
        finally:
            conn.pgconn.untrace()
            trace.seek(0)
            counted.append(sum(1 for line in trace if line.split("\t")[:3:2] == [
                "B", "ReadyForQuery"]))


def submit(conn, config, clock, cmd):
    return applications.submit_application(conn, cmd, clock.now(), config=config,
                                           caller=CALLER)


def test_issue19_a_wrong_step2_is_one_round_trip_and_leaves_the_connection_as_it_came(
        pooled, conn, config, clock):
    _, code, number = issue(conn, clock)
    with round_trips(pooled) as counted, pytest.raises(Refused) as info:
        submit(pooled, config, clock, application(code, number,
                                                  birth_date=BIRTH + timedelta(days=1)))
    assert info.value.code == "IDENTITY_MISMATCH"
    assert counted == [1]
    assert pooled.autocommit is False
    assert pooled.info.transaction_status == pq.TransactionStatus.IDLE
    # committed by that one statement: seen from another connection
    assert conn.execute("SELECT failed_attempts FROM codes").fetchone()[0] == 1
    assert conn.execute("SELECT outcome FROM audit_log").fetchall() == [("IDENTITY_MISMATCH",)]


def test_issue19_a_correct_step2_locks_the_code_in_a_transaction_of_its_own_in_7_round_trips(
        pooled, conn, config, clock):
    code_id, code, number = issue(conn, clock)
    with round_trips(pooled) as counted:
        created = submit(pooled, config, clock, application(code, number))
    assert created["email"] == "taro@example.jp"
    # the look-up (autocommit), then BEGIN, the code locked, R12, R9 and R6 at once, the
    # void, the application and its audit row at once, the mail task and its NOTIFY
    # (shared.outbox.add_task), COMMIT
    assert counted == [7]
    assert pooled.autocommit is False
    assert conn.execute("SELECT outcome FROM audit_log").fetchall() == [("CREATED",)]
    assert conn.execute("SELECT failed_attempts FROM codes WHERE code_id = %s",
                        (code_id,)).fetchone()[0] == 0


def _states(now):
    """Codes in every state a step 2 can meet (columns over an active code's)."""
    return {
        "active": {},
        "used": {"used_at": now},
        "invalidated": {"invalidated_at": now, "failed_attempts": 10},
        "superseded": {"superseded_at": now},
        "revoked as superseded": {"revoked_at": now, "revoke_reason": "superseded"},
        "revoked": {"revoked_at": now, "revoke_reason": "revoked_by_office"},
        "expired by beat": {"expired_at": now},
        "expired by the clock": {"issued_at": now - timedelta(days=6),
                                 "expires_at": now - timedelta(seconds=1)},
        "expiring this very moment": {"expires_at": now},
        "a tombstone": {"issued_at": None, "expires_at": None},
    }


@pytest.mark.parametrize("state", list(_states(START)))
@pytest.mark.parametrize("entered", ["the triple", "another birth date", "another number"])
def test_issue19_the_statements_verdict_is_domain_identity_refusal(conn, clock, state,
                                                                    entered):
    code_id = uuid.uuid4()
    number = f"{uuid.uuid4().int % 90000 + 10000}-{uuid.uuid4().int % 10**7}"
    row = {"code_id": code_id, "job_seeker_number": number, "birth_date": BIRTH,
           "code_digest": keyed_digest("s", str(code_id), "code"), "issued_at": clock.now(),
           "expires_at": clock.now() + timedelta(days=5), "failed_attempts": 0,
           **_states(clock.now())[state]}
    conn.execute(f"INSERT INTO codes ({', '.join(row)}) VALUES "
                 f"({', '.join(f'%({k})s' for k in row)})", row)
    code = domain.Code(**{k: v for k, v in row.items() if k != "code_digest"})
    number_in, birth_in = {"the triple": (number, BIRTH),
                           "another birth date": (number, BIRTH + timedelta(days=1)),
                           "another number": (number[:5] + "-1", BIRTH)}[entered]
    checked = code_store.check_or_charge(
        conn, digest=row["code_digest"], number=number_in, birth_date=birth_in,
        now=clock.now(), limit=10, client_address="192.0.2.7", correlation_id="c",
        producer="registration")
    assert checked.refusal == domain.identity_refusal(code, number_in, birth_in, clock.now())
    active = domain.code_status(code, clock.now()) == domain.ACTIVE
    # R4: a refusal counts against the code entered while it is active; a pass writes nothing
    assert checked.charged == ({code_id: 1} if checked.refusal and active else {})
    assert checked.code_id == code_id
    outcomes = conn.execute("SELECT outcome, code_id FROM audit_log").fetchall()
    assert outcomes == ([(checked.refusal, code_id)] if checked.refusal else [])


def test_issue19_an_unknown_code_and_number_write_the_audit_row_and_nothing_else(
        conn, config, clock):
    with pytest.raises(Refused) as info:
        submit(conn, config, clock, application("ABCDEFGHJK", "12345-99"))
    assert info.value.code == "IDENTITY_MISMATCH"
    assert conn.execute("SELECT outcome, code_id FROM audit_log").fetchall() == [
        ("IDENTITY_MISMATCH", None)]
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def _outbox(conn):
    return [parse_envelope(row[0]) for row in conn.execute(
        "SELECT body FROM outbox ORDER BY id").fetchall()]


def test_issue19_the_statements_events_pass_the_catalog_and_only_the_tenth_notifies(
        dsn, conn, config, clock):
    config = replace(config, max_failed_attempts=2)
    mine_id, mine, number = issue(conn, clock)
    other_id, other, _ = issue(conn, clock)
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        # my number with the other person's code: one failure on each code
        with pytest.raises(Refused):
            submit(conn, config, clock, application(other, number))
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []
        with pytest.raises(Refused):
            submit(conn, config, clock, application(other, number))
        assert len(list(listener.notifies(timeout=2, stop_after=1))) == 1
    events = _outbox(conn)
    assert [(e.type, e.payload["code_id"], e.payload["failed_attempts"]) for e in events] == [
        ("code.failure_counted", str(a), 1) for a in sorted([mine_id, other_id])] + [
        ("code.failure_counted", str(a), 2) for a in sorted([mine_id, other_id])] + [
        ("code.invalidated", str(a), 2) for a in sorted([mine_id, other_id])]
    rows = conn.execute("SELECT message_id, destination, created_at FROM outbox "
                        "ORDER BY id").fetchall()
    for event, (message_id, destination, created_at) in zip(events, rows, strict=True):
        CATALOG[event.type]().load(event.payload)  # strict: no field missing or unknown
        assert (event.event_id, event.type, event.occurred_at) == (
            message_id, destination, clock.now())
        assert created_at == clock.now()
        assert event.producer == "registration"
        assert event.correlation_id == CALLER.correlation_id
    # as registration.events builds them, but for the event id
    first = events[0].to_message()
    assert first == code_failure_counted(
        uuid.UUID(first["payload"]["code_id"]), 1, CALLER.client_address, clock.now(),
        CALLER.correlation_id).to_message() | {"event_id": first["event_id"]}
    assert events[0].payload["client_address"] == "192.0.2.0/24"
    assert events[-1].payload["reason"] == "too_many_attempts"
    assert len({e.event_id for e in events}) == len(events)
    # a dead code is not counted again, and nothing more is announced
    with pytest.raises(Refused):
        submit(conn, config, clock, application(mine, number))
    assert len(_outbox(conn)) == len(events)


# --- bench/sql/step2_*.sql run the very statements (the pgbench ceiling of B1) ------------
BENCH_SQL = Path(__file__).resolve().parents[4] / "bench" / "sql"
_SEEDED = {  # bench.pgbench seeds job seekers 99999-k born 1990-04-01, codes md5(k)
    "number": "'99999-' || :k", "birth_date": "'1990-04-01'::date", "now": "now()",
    "limit": ":limit", "client_address": "'203.0.113.7'", "channel": f"'{CHANNEL}'",
    "correlation_id": "'c0a8e5f2-3f0e-4c52-9d1e-6a3b1e0f2d7a'",
    "version": "1", "occurred_at": "'2026-11-25T12:00:00Z'", "producer": "'registration'",
    "event_correlation_id": "'c0a8e5f2-3f0e-4c52-9d1e-6a3b1e0f2d7a'",
    "masked_address": "'203.0.113.0/24'",
    "code_id": "md5(:k::text)::uuid", "email": "'p' || :k || '@example.jp'",
    "since": "now() - interval '1 hour'", "application_id": "gen_random_uuid()",
    "token_digest": "md5(random()::text) || md5(random()::text)",
    "auth_key_digest": "md5(random()::text) || md5(random()::text)", "issued_at": "now()",
    "privacy_policy_version": "'2026-04-01'", "terms_of_use_version": "'2026-04-01'",
}
WRONG = {**_SEEDED, "digest": "'f' || lpad(:k::text, 63, '0')"}  # a digest nobody has
CORRECT = {**_SEEDED, "digest": "lpad(:k::text, 64, '0')"}


def pgbench_form(statement: str, values: dict[str, str]) -> str:
    """A statement of the app with pgbench's expressions for its parameters, on one line."""
    return " ".join(re.sub(r"%\((\w+)\)s", lambda m: values[m.group(1)], statement).split())


def statements_of(script: str) -> list[str]:
    """A pgbench script's SQL commands (comments and meta-commands left out), each on one
    line."""
    sql = "\n".join(line for line in script.splitlines()
                    if not line.startswith(("--", "\\")))
    return [" ".join(command.split()) for command in sql.split(";") if command.strip()]


def test_issue19_the_pgbench_ceiling_runs_the_wrong_step2s_one_statement():
    assert statements_of((BENCH_SQL / "step2_wrong.sql").read_text()) == [
        pgbench_form(code_store.CHECK_OR_CHARGE, WRONG)]


def test_issue19_the_pgbench_ceiling_runs_the_correct_step2s_new_statements():
    commands = statements_of((BENCH_SQL / "step2_correct.sql").read_text())
    assert commands[:2] == [pgbench_form(code_store.CHECK_OR_CHARGE, CORRECT), "BEGIN"]
    assert pgbench_form(application_store.STEP2_CHECKS, CORRECT) in commands
    assert pgbench_form(application_store.OPEN_APPLICATION, CORRECT) in commands
    assert commands[-1] == "END"
