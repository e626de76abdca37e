"""`office`: the office command-line tool (issue, re-issue, revoke, list; publish office events).

    office issue --number 12345-1234567 --birth-date 1990-01-02
    office list --number 12345-1234567
    office revoke CODE_ID
    office event registered --number 12345-1234567 --birth-date 1990-01-02 --office-id 13001
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime
from typing import Any

import requests
from kombu import Producer

from code_issuer import domain
from shared.bus import SERIALIZER, Topology, connect
from shared.contracts import formats
from shared.contracts.events import new_event

PRODUCER = "office-cli"
EXIT_REFUSED, EXIT_UNREACHABLE = 1, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="office", description="Office tool of the code-issuer.")
    parser.add_argument("--url", default=os.environ.get("CODE_ISSUER_URL", "http://127.0.0.1:8001"),
                        help="code-issuer base URL (CODE_ISSUER_URL)")
    parser.add_argument("--key", default=os.environ.get("OFFICE_API_KEY", "dev-office-key"),
                        help="office API key (OFFICE_API_KEY)")
    parser.add_argument("--lang", choices=["ja", "en"], default="ja", help="language of messages")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("issue", "issue a code"), ("reissue", "issue a new code (supersedes the old)")):
        cmd = commands.add_parser(name, help=text)
        cmd.add_argument("--number", required=True, help="job-seeker number, 12345-1234567")
        cmd.add_argument("--birth-date", help="YYYY-MM-DD (optional once the person is known)")
        cmd.add_argument("--confirm-birth-date", action="store_true",
                         help="issue for a birth date other than the one on record")
        cmd.add_argument("--idempotency-key", help="the same key never issues twice (24 h)")
    cmd = commands.add_parser("person", help="a job seeker as known here, with their account")
    cmd.add_argument("--number", required=True)
    cmd = commands.add_parser("revoke", help="revoke an active code")
    cmd.add_argument("code_id")
    cmd = commands.add_parser("list", help="list a job seeker's codes")
    cmd.add_argument("--number", required=True)

    event = commands.add_parser("event", help="publish an office event (job_seeker.*)")
    event.add_argument("--broker-url", default=os.environ.get(
        "BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"), help="RabbitMQ URL (BROKER_URL)")
    event.add_argument("--namespace", default=os.environ.get("BUS_NAMESPACE", "jobportal"),
                       help="bus namespace (BUS_NAMESPACE)")
    kinds = event.add_subparsers(dest="event_type", required=True)
    registered = kinds.add_parser("registered", help="job_seeker.registered")
    corrected = kinds.add_parser("corrected", help="job_seeker.corrected")
    closed = kinds.add_parser("closed", help="job_seeker.closed")
    for cmd in (registered, corrected, closed):
        cmd.add_argument("--number", required=True)
    for cmd in (registered, corrected):
        cmd.add_argument("--birth-date", required=True)
    registered.add_argument("--office-id", required=True)
    closed.add_argument("--reason", required=True)
    return parser


def _call(args, method: str, path: str, headers: dict[str, str] | None = None, **kwargs) -> int:
    headers = {"Authorization": f"Bearer {args.key}", "Accept-Language": args.lang,
               **(headers or {})}
    try:
        response = requests.request(method, args.url.rstrip("/") + path, headers=headers,
                                    timeout=10, **kwargs)
    except requests.RequestException as exc:
        print(f"office: cannot reach {args.url}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    try:
        body: Any = response.json()
    except ValueError:
        body = {"status": response.status_code, "text": response.text[:500]}
    _print(body, sys.stdout if response.ok else sys.stderr)
    return 0 if response.ok else EXIT_REFUSED


def _print(value: Any, stream) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str), file=stream)


def _event_payload(args) -> dict[str, Any]:
    """The payload of the chosen job_seeker.* event; full-width input is normalised."""
    number = domain.normalise_number(args.number)
    if number is None:
        raise ValueError("--number must look like 12345-1234567")
    payload: dict[str, Any] = {"job_seeker_number": number}
    if args.event_type in ("registered", "corrected"):
        payload["birth_date"] = date.fromisoformat(formats.fold(args.birth_date))
    if args.event_type == "registered":
        payload["office_id"] = args.office_id
    if args.event_type == "closed":
        payload["reason"] = args.reason
    return payload


def publish_event(args) -> int:
    """Publish one job_seeker.* event in the shared envelope, with a publisher confirm."""
    try:
        event = new_event(f"job_seeker.{args.event_type}", _event_payload(args), producer=PRODUCER,
                          now=datetime.now(UTC))
    except ValueError as exc:  # marshmallow's ValidationError is a ValueError too
        print(f"office: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    topology = Topology(args.namespace)
    try:
        with connect(args.broker_url) as connection:
            connection.ensure_connection(max_retries=2)
            topology.declare(connection)
            Producer(connection.default_channel).publish(
                event.to_message(), exchange=topology.exchange, routing_key=event.type,
                serializer=SERIALIZER, delivery_mode=2, message_id=str(event.event_id),
                correlation_id=event.correlation_id, type=event.type)
    except Exception as exc:  # noqa: BLE001 - connection errors vary by transport
        print(f"office: cannot publish to the broker: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    _print(event.to_message(), sys.stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("issue", "reissue"):
        body = {"job_seeker_number": args.number}
        if args.birth_date:
            body["birth_date"] = args.birth_date
        if args.confirm_birth_date:
            body["birth_date_confirmed"] = True
        headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
        return _call(args, "POST", "/v1/codes", json=body, headers=headers)
    if args.command == "person":
        return _call(args, "GET", f"/v1/job-seekers/{requests.utils.quote(args.number, safe='')}")
    if args.command == "revoke":
        return _call(args, "POST", f"/v1/codes/{requests.utils.quote(args.code_id, safe='')}/revoke")
    if args.command == "list":
        return _call(args, "GET", "/v1/codes", params={"job_seeker_number": args.number})
    return publish_event(args)


def run() -> None:
    sys.exit(main())
