"""R17 under real concurrency: accounts racing to confirm one new address against a running
gunicorn server (2 workers x 8 threads) on the real database: exactly one wins."""

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
import requests

from .conftest import PASSWORD, application_body
from .test_concurrency import server  # noqa: F401 - the module's gunicorn

pytestmark = pytest.mark.integration
ACCOUNTS = 6


def as_person(i: int, token: str) -> dict:
    """Person i's headers: their session, and their own address behind the gateway (each
    has the per-address request limits of their own)."""
    return {"Authorization": f"Bearer {token}", "X-Forwarded-For": f"203.0.113.{i + 1}"}


def open_accounts(url, bus, mailbox, n):
    """n accounts opened and logged in through the server: their session tokens."""
    sessions = []
    for i in range(n):
        _, code, number = bus.issue()
        email = f"racer{i}@example.jp"
        created = requests.post(f"{url}/v1/applications", timeout=30,
                                json=application_body(code, number, email=email))
        assert created.status_code == 201, created.text
        registered = requests.post(f"{url}/v1/password-registrations", timeout=30, json={
            "application_token": created.json()["application_token"],
            "auth_key": mailbox.last_key(), "password": PASSWORD,
            "password_confirmation": PASSWORD})
        assert registered.status_code == 201, registered.text
        login = requests.post(f"{url}/v1/sessions", timeout=30,
                              json={"email": email, "password": PASSWORD})
        sessions.append(login.json()["session_token"])
    return sessions


def confirm(url, start, item):
    """One client's confirmation, sent when every client is ready."""
    headers, change_token, key = item
    with requests.Session() as session:
        start.wait()
        response = session.post(f"{url}/v1/me/email-change-confirmations", timeout=30,
                                headers=headers,
                                json={"change_token": change_token, "key": key})
    return response.status_code, response.json()


def test_r17_accounts_racing_to_confirm_one_new_address_exactly_one_wins(server, bus,  # noqa: F811
                                                                       mailbox, conn):
    sessions = open_accounts(server, bus, mailbox, ACCOUNTS)
    for round_ in range(3):
        address = f"wanted{round_}@example.jp"
        confirmations = []
        for i, token in enumerate(sessions):
            asked = requests.post(f"{server}/v1/me/email-changes", timeout=30,
                                  headers=as_person(i, token), json={
                "current_password": PASSWORD, "email": address, "email_confirmation": address})
            assert asked.status_code == 202, asked.text
            key = [kwargs for headers, kwargs in mailbox.tasks()
                   if headers["task"] == "notifier.send_key_mail"][-1]["key"]
            confirmations.append((as_person(i, token), asked.json()["change_token"], key))
        start = threading.Barrier(len(confirmations))
        with ThreadPoolExecutor(len(confirmations)) as pool:
            answers = list(pool.map(partial(confirm, server, start), confirmations))
        winners = [answer for status, answer in answers if status == 200]
        assert winners == [{"email": address}], answers
        assert sorted((status, answer["error"]["code"]) for status, answer in answers
                      if status != 200) == [(409, "EMAIL_ALREADY_REGISTERED")] * (ACCOUNTS - 1)
        assert conn.execute("SELECT count(*) FROM accounts WHERE email_canonical = %s",
                            (address,)).fetchone()[0] == 1
        assert conn.execute(
            "SELECT count(*) FROM outbox WHERE destination = 'account.email_changed'"
        ).fetchone()[0] == round_ + 1
