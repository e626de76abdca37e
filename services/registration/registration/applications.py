"""Step 2 (R4-R6, R9): check the identity, count failures, open an application."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from psycopg import Connection

from registration import account_store, code_store, domain, store
from registration.config import Config
from registration.events import code_failure_counted, code_invalidated
from registration.results import Caller, Outcome
from shared.clock import iso
from shared.contracts import formats, tasks
from shared.outbox import add_event, add_quiet_events, add_task
from shared.tokens import keyed_digest, random_crockford, random_token


def submit_application(
    conn: Connection, form: dict[str, Any], now: datetime, config: Config, caller: Caller
) -> Outcome:
    """Steps 1-2 in one transaction: a failure is counted, or an application opened."""
    number, birth_date = form["job_seeker_number"], form["birth_date"]
    # R5: the same digest and the same lookup whatever was entered.
    digest = keyed_digest(config.digest_secret, form["account_creation_code"], "code")
    by_value, by_number = code_store.codes_for_step2(conn, digest, number, now)
    refusal = domain.identity_outcome(by_value, number, birth_date, now)
    if refusal is not None:
        return _refuse_identity(conn, refusal, by_number, by_value, now, config, caller)

    code = code_store.lock_code(conn, by_value.code_id)  # serialises step 2 of one code
    status = domain.code_status(code, now)
    if status != domain.ACTIVE:  # e.g. the 10th failure landed while we looked
        return _audited(conn, Outcome(*domain.REFUSALS[status]), now, caller, code.code_id)
    # R9 before R6 (issue 13 item 12): past the mail limit every email gets the same answer,
    # so a code cannot be used to test which emails have accounts.
    mails = store.mails_since(conn, code.code_id, domain.mail_window_start(now))
    if len(mails) >= config.mails_per_code_per_hour:
        oldest_counted = mails[len(mails) - config.mails_per_code_per_hour]
        wait = (oldest_counted + timedelta(hours=1) - now).total_seconds()
        return _audited(conn, Outcome(429, "MAIL_LIMIT_REACHED", retry_after=max(1, math.ceil(wait))),
                        now, caller, code.code_id)
    if account_store.email_registered(conn, form["email"]):
        return _audited(conn, Outcome(409, "EMAIL_ALREADY_REGISTERED"), now, caller, code.code_id)
    return _open_application(conn, form, code, now, config, caller)


def _refuse_identity(conn, refusal, by_number, by_value, now, config, caller) -> Outcome:
    """R4: one atomic count per affected code, announced at once to the office view
    (code.failure_counted); the 10th also invalidates the code (code.invalidated)."""
    known = by_number or by_value
    outcome = _audited(conn, Outcome(*refusal), now, caller, known.code_id if known else None)
    # R5: one statement for every mismatch, whether it counts against 0, 1 or 2 codes.
    charged = code_store.charge_failures(conn, domain.codes_to_charge(by_number, by_value, now),
                                         now, config.max_failed_attempts)
    # R5 again: an announcement is built and sent whether or not a failure was counted (a
    # decoy the database does not keep), without NOTIFY, so the answer's time tells nothing.
    counted = sorted(charged.items()) or [(uuid.UUID(int=0), 1)]
    add_quiet_events(conn, [
        code_failure_counted(code_id, count, caller.client_address, now, caller.correlation_id)
        for code_id, count in counted], keep=bool(charged))
    for code_id, count in sorted(charged.items()):
        if count == config.max_failed_attempts:
            add_event(conn, code_invalidated(code_id, count, now, caller.correlation_id))
    return outcome


def _open_application(conn, form, code, now, config, caller) -> Outcome:
    """R9: void the earlier open application, open a new one, mail its key (outbox)."""
    store.void_open_applications(conn, code.code_id, now)
    application_id = uuid.uuid4()
    token = random_token(32)  # 256 bits; only its digest is kept
    auth_key = random_crockford(formats.KEY_LENGTH)
    valid_until = domain.auth_key_valid_until(now, None, config.auth_key_minutes)
    store.insert_application(conn, {
        "application_id": application_id,
        "code_id": code.code_id,
        "email": form["email"],
        "token_digest": keyed_digest(config.digest_secret, token, "application_token"),
        "auth_key_digest": keyed_digest(config.digest_secret, auth_key, "auth_key"),
        "issued_at": now,
        "privacy_policy_version": form["privacy_policy_version"],
        "terms_of_use_version": form["terms_of_use_version"],
    })
    add_task(conn, task=tasks.SEND_AUTH_KEY_MAIL, namespace=config.bus_namespace, now=now,
             correlation_id=caller.correlation_id, kwargs={
                 "application_id": str(application_id),
                 "email": form["email"],
                 "auth_key": auth_key,
                 "issued_at": iso(now),
                 "valid_until": iso(valid_until),
             })
    body = {"application_token": token, "email": form["email"],
            "auth_key_expires_at": iso(valid_until)}
    return _audited(conn, Outcome(201, "CREATED", body), now, caller, code.code_id,
                    application_id)


def _audited(conn, outcome: Outcome, now, caller: Caller, code_id=None, application_id=None):
    store.add_audit(conn, action="application", client_address=caller.client_address,
                    outcome=outcome.code, now=now, correlation_id=caller.correlation_id,
                    code_id=code_id, application_id=application_id)
    return outcome
