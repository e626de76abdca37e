"""R20: the clients each account was seen from (browser family + masked address), and the
notice of a login from one unseen for 90 days. Called in the transaction of step 3 (the
registering client) and of each login."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import Connection

from registration import clients
from registration.commands import Caller
from registration.config import Config
from registration.store import clients as seen_clients
from shared.clock import iso
from shared.contracts import tasks
from shared.outbox import add_task


def record_client(conn: Connection, account_id: uuid.UUID, caller: Caller,
                  now: datetime) -> None:
    """R20: the client that opened the account (step 3) counts as seen, in its transaction."""
    client = clients.client_of(caller.user_agent, caller.client_address)
    seen_clients.remember_client(conn, account_id, client.browser, client.client_address, now)


def notice_new_client(conn: Connection, account: dict, client: clients.Client,
                      first_login: bool, now: datetime, config: Config,
                      caller: Caller) -> None:
    """R20: a login from a client unseen for 90 days mails a notice, in the login's
    transaction; the first login after registration does not. Every login is a sighting,
    and removes a few sightings gone stale (the table stays bounded)."""
    before = seen_clients.remember_client(conn, account["account_id"], client.browser,
                                          client.client_address, now)
    seen_clients.purge_unseen(conn, clients.seen_since(now))
    if first_login or not clients.is_new_client(before, now):
        return
    add_task(conn, task=tasks.SEND_NOTICE, namespace=config.bus_namespace, now=now,
             correlation_id=caller.correlation_id, kwargs={
                 "notice_id": str(uuid.uuid4()),
                 "kind": "new_login",
                 "email": account["email"],
                 "language": caller.language,
                 "occurred_at": iso(now),
                 "client_address": client.client_address,
                 "browser": client.browser,
             })
