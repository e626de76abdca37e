"""Steps 1-2 (R4-R9): check the terms and the identity, count failures, open an
application; and what the notifier reports of its auth-key mail (auth_key.*)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from psycopg import Connection
from psycopg.pq import TransactionStatus

from registration import domain, messages
from registration.commands import (
    Caller,
    RecordDelivery,
    RecordDeliveryFailure,
    RecordKeyExpiry,
    ResendAuthKey,
    SubmitApplication,
)
from registration.config import PRODUCER, Config
from registration.store import applications, audit, codes
from shared.clock import iso
from shared.contracts import formats, tasks
from shared.errors import Refused
from shared.metrics import AUTH_KEYS_EXPIRED, CODES_INVALIDATED
from shared.outbox import add_task
from shared.tokens import keyed_digest, random_crockford, random_token


def submit_application(conn: Connection, cmd: SubmitApplication, now: datetime, *,
                       config: Config, caller: Caller) -> dict[str, str]:
    """Steps 1-2: a failure is counted, or an application opened. A refusal is raised once
    its audit row and its counted failures are committed.

    The look-up and, for a triple that does not match an active code (the common attack
    path, R4), the whole refusal are one statement in autocommit: one round trip. Only a
    matching triple goes on, in a transaction of its own that locks the code."""
    _check_terms(cmd, config)
    with _autocommit(conn):
        refusal, created = _submit(conn, cmd, now, config, caller)
    if refusal is not None:
        raise refusal
    return created


@contextmanager
def _autocommit(conn: Connection) -> Iterator[None]:
    """`conn` in autocommit for the block, as it was afterwards (a pool's connection goes
    back as it came); setting it is no round trip."""
    before = conn.autocommit
    conn.autocommit = True
    try:
        yield
    finally:
        if not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE:
            conn.autocommit = before


def _check_terms(cmd: SubmitApplication, config: Config) -> None:
    """R8: the current versions of both documents must be the ones agreed to."""
    disagreed = {
        name: [messages.AGREEMENT_REQUIRED if agreed is None else messages.NOT_CURRENT_VERSION]
        for name, agreed, current in (
            ("privacy_policy_version", cmd.privacy_policy_version,
             config.privacy_policy_version),
            ("terms_of_use_version", cmd.terms_of_use_version, config.terms_of_use_version))
        if agreed != current
    }
    if disagreed:
        raise Refused("TERMS_NOT_AGREED", fields=disagreed)


def _submit(conn, cmd: SubmitApplication, now, config, caller):
    # R5: the same digest and the same look-up whatever was entered.
    digest = keyed_digest(config.digest_secret, cmd.account_creation_code, "code")
    checked = codes.check_or_charge(
        conn, digest=digest, number=cmd.job_seeker_number, birth_date=cmd.birth_date,
        now=now, limit=config.max_failed_attempts, client_address=caller.client_address,
        correlation_id=caller.correlation_id, producer=PRODUCER)
    if checked.refusal is not None:
        _count_invalidations(checked.charged, config)
        return Refused(checked.refusal), None
    with conn.transaction():
        return _pass(conn, cmd, checked.code_id, now, config, caller)


def _count_invalidations(charged: dict[uuid.UUID, int], config: Config) -> None:
    CODES_INVALIDATED.inc(sum(1 for count in charged.values()
                              if count == config.max_failed_attempts))


def _pass(conn, cmd: SubmitApplication, code_id: uuid.UUID, now, config, caller):
    """A triple that matched an active code, in the transaction: the code's row locked."""
    code = codes.lock_code(conn, code_id)  # serialises step 2 of one code
    status = domain.code_status(code, now)
    if status != domain.ACTIVE:  # e.g. the 10th failure landed while we looked
        return _audited(conn, Refused(domain.REFUSALS[status]), now, caller, code.code_id), None
    checks = applications.step2_checks(conn, code.code_id, code.job_seeker_number, cmd.email,
                                       domain.mail_window_start(now))
    # R12 (issue 17) once the code check passed, before R9 and R6: it depends on the number
    # alone (proven by the triple), so it tells nothing of emails, and it is what the person
    # needs whatever email they typed: log in, or reset the password (R15).
    if checks.account_exists:
        return _audited(conn, Refused("ACCOUNT_EXISTS"), now, caller, code.code_id), None
    # R9 before R6 (issue 13 item 12): past the mail limit every email gets the same answer,
    # so a code cannot be used to test which emails have accounts.
    limited = _mail_limit(checks.mails, now, config)
    if limited is not None:
        return _audited(conn, limited, now, caller, code.code_id), None
    if checks.email_registered:
        return _audited(conn, Refused("EMAIL_ALREADY_REGISTERED"), now, caller,
                        code.code_id), None
    return None, _open_application(conn, cmd, code, now, config, caller)


def _mail_limit(mails: list[datetime], now: datetime, config: Config) -> Refused | None:
    """R9: at most `mails_per_code_per_hour` auth-key mails per code within the hour
    (`mails`: the code's since domain.mail_window_start, oldest first)."""
    if len(mails) < config.mails_per_code_per_hour:
        return None
    oldest_counted = mails[len(mails) - config.mails_per_code_per_hour]
    wait = (oldest_counted + timedelta(hours=1) - now).total_seconds()
    return Refused("MAIL_LIMIT_REACHED", retry_after=max(1, math.ceil(wait)))


def _open_application(conn, cmd: SubmitApplication, code, now, config, caller) -> dict[str, str]:
    """R9: void the earlier open application, open a new one (audited), mail its key
    (outbox)."""
    application_id = uuid.uuid4()
    token = random_token(32)  # 256 bits; only its digest is kept
    auth_key = random_crockford(formats.KEY_LENGTH)
    valid_until = domain.auth_key_valid_until(now, None, config.auth_key_minutes)
    replaces_earlier = applications.open_application(conn, {
        "application_id": application_id,
        "code_id": code.code_id,
        "email": cmd.email,
        "token_digest": keyed_digest(config.digest_secret, token, "application_token"),
        "auth_key_digest": keyed_digest(config.digest_secret, auth_key, "auth_key"),
        "issued_at": now,
        "privacy_policy_version": cmd.privacy_policy_version,
        "terms_of_use_version": cmd.terms_of_use_version,
        "client_address": caller.client_address,
        "correlation_id": caller.correlation_id,
    })
    _mail_key(conn, application_id, cmd.email, auth_key, now, valid_until, config, caller,
              replaces_earlier=replaces_earlier)
    return {"application_token": token, "email": cmd.email,
            "auth_key_expires_at": iso(valid_until)}


def _mail_key(conn, application_id: uuid.UUID, email: str, auth_key: str, now: datetime,
              valid_until: datetime, config: Config, caller: Caller, *,
              replaces_earlier: bool) -> None:
    """The auth-key mail, as a task in the outbox (committed with the application); it
    says when its key replaces an earlier mail's (issue 17), in the request's language."""
    add_task(conn, task=tasks.SEND_AUTH_KEY_MAIL, namespace=config.bus_namespace, now=now,
             correlation_id=caller.correlation_id, kwargs={
                 "application_id": str(application_id),
                 "email": email,
                 "auth_key": auth_key,
                 "issued_at": iso(now),
                 "valid_until": iso(valid_until),
                 "replaces_earlier": replaces_earlier,
                 "language": caller.language,
             })


def resend_auth_key(conn: Connection, cmd: ResendAuthKey, now: datetime, *,
                    config: Config, caller: Caller) -> dict[str, str]:
    """An operator's re-send of a stuck auth-key mail (issue 16): only for an application
    still open whose mail never arrived, within R9's limit of mails per code. A new key is
    mailed (the old one, never stored, cannot be sent again) and the old one stops working;
    the person keeps their application token and enters the new key at step 3."""
    with conn.transaction():
        application = applications.application_by_id(conn, cmd.application_id)
        if application is None:
            raise Refused("APPLICATION_NOT_FOUND")
        if application["status"] != "open":
            raise Refused("APPLICATION_CLOSED")
        if application["delivered_at"] is not None:
            raise Refused("AUTH_KEY_DELIVERED")
        code_id = application["code_id"]
        limited = _mail_limit(
            applications.mails_since(conn, code_id, domain.mail_window_start(now)), now, config)
        if limited is not None:
            raise limited
        auth_key = random_crockford(formats.KEY_LENGTH)
        applications.replace_auth_key(
            conn, cmd.application_id, code_id,
            keyed_digest(config.digest_secret, auth_key, "auth_key"), now)
        valid_until = domain.auth_key_valid_until(now, None, config.auth_key_minutes)
        # The new key replaces the one of the mail that did not arrive (or arrives late).
        _mail_key(conn, cmd.application_id, application["email"], auth_key, now, valid_until,
                  config, caller, replaces_earlier=True)
        _audit(conn, "RESENT", now, caller, code_id, cmd.application_id)
    return {"application_id": str(cmd.application_id), "issued_at": iso(now),
            "auth_key_expires_at": iso(valid_until)}


def _audited(conn, refused: Refused, now, caller: Caller, code_id=None) -> Refused:
    _audit(conn, refused.code, now, caller, code_id)
    return refused


def _audit(conn, outcome: str, now, caller: Caller, code_id=None, application_id=None) -> None:
    audit.add_audit(conn, action="application", client_address=caller.client_address,
                    outcome=outcome, now=now, correlation_id=caller.correlation_id,
                    code_id=code_id, application_id=application_id)


# --- what the notifier reports (auth_key.*), in the inbox claim's transaction -------------
def record_delivery(conn: Connection, cmd: RecordDelivery, now: datetime) -> None:
    """R10: the first delivery time starts the key's 50 minutes."""
    applications.record_delivery(conn, cmd.application_id, cmd.delivered_at)


def record_delivery_failure(conn: Connection, cmd: RecordDeliveryFailure, now: datetime) -> None:
    """The application closes as 'undeliverable'; step 3 then answers
    AUTH_KEY_NOT_DELIVERED, telling the person to check the address and start again."""
    applications.record_delivery_failure(conn, cmd.application_id, cmd.reason, now)


def record_key_expiry(conn: Connection, cmd: RecordKeyExpiry, now: datetime) -> None:
    applications.close_application(conn, cmd.application_id, "expired", now)
    AUTH_KEYS_EXPIRED.inc()
