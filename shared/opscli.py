"""`python -m <service> ops ...`: the operator's levers every service has (shared.levers).

A service's cli.py adds them with `add_parser(subparsers, prog)` and runs the parsed
command with `run(args, config, service)`; a service adds its own levers beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import amqp.exceptions
import psycopg

from shared.bus import Topology
from shared.clock import make_clock
from shared.levers import DeadLetters, outbox_status

EXAMPLES = """\
examples:
  {prog} ops outbox
      pending rows, the oldest's age, the backlog by destination
  {prog} ops outbox --json
      the same as one JSON object (for scripts)
  {prog} ops dead-letters
      the dead-lettered events: id, type, reason, first seen, deaths
  {prog} ops replay 0b6e7a52-5f0e-4c3a-9d55-2f4f1f3c2a10
      put that event back on this service's queue
  {prog} ops replay --all
      put every dead letter back; the inbox keeps it idempotent (an event already
      handled is skipped)
"""


@dataclass(frozen=True)
class Lever:
    """A service's own lever beside the shared ones (e.g. the notifier's `mail`)."""

    name: str
    help: str
    examples: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Any], int]


def add_parser(subparsers, prog: str, own: tuple[Lever, ...] = ()) -> argparse.ArgumentParser:
    """The `ops` command and its levers (the shared ones and the service's `own`), under a
    service's own argparse subparsers."""
    ops = subparsers.add_parser(
        "ops", help="operator levers: outbox status, dead letters, replay",
        epilog=EXAMPLES.format(prog=prog), formatter_class=argparse.RawDescriptionHelpFormatter)
    levers = ops.add_subparsers(dest="lever", required=True, metavar="LEVER")
    outbox = levers.add_parser("outbox", help="what waits in the outbox, and for how long",
                               epilog=EXAMPLES.format(prog=prog),
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    outbox.add_argument("--json", action="store_true", help="print one JSON object")
    dead = levers.add_parser("dead-letters", help="list this service's dead-lettered events",
                             epilog=EXAMPLES.format(prog=prog),
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    dead.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    dead.add_argument("--json", action="store_true", help="print one JSON list")
    replay = levers.add_parser("replay", help="put dead letters back on this service's queue",
                               epilog=EXAMPLES.format(prog=prog),
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("event_id", nargs="?", help="the event id to replay")
    which.add_argument("--all", action="store_true", help="replay every dead letter")
    replay.add_argument("--json", action="store_true", help="print one JSON list")
    for lever in own:
        parser = levers.add_parser(lever.name, help=lever.help,
                                   epilog="examples:\n" + lever.examples.format(prog=prog),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
        lever.arguments(parser)
    return ops


def print_result(value: Any, as_json: bool, lines: list[str]) -> None:
    if as_json:
        json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(lines) + "\n")


def run(args: argparse.Namespace, config: Any, service: str, own: tuple[Lever, ...] = ()) -> int:
    """Carry out a parsed `ops` command with the service's settings; the exit status
    (2 with one line on stderr when the database, the broker or the queue is missing)."""
    try:
        for lever in own:
            if args.lever == lever.name:
                return lever.run(args, config)
        return _run(args, config, service)
    except psycopg.OperationalError as exc:
        sys.stderr.write(f"database unreachable: {str(exc).strip().splitlines()[-1]}\n")
    except amqp.exceptions.NotFound as exc:
        sys.stderr.write(f"no such queue (has the consumer ever started?): {exc}\n")
    except (OSError, amqp.exceptions.AMQPError) as exc:
        sys.stderr.write(f"broker unreachable: {exc}\n")
    return 2


def _run(args: argparse.Namespace, config: Any, service: str) -> int:
    if args.lever == "outbox":
        now = make_clock(getattr(config, "test_clock_file", None)).now()
        with psycopg.connect(config.database_url, connect_timeout=5) as conn:
            status = outbox_status(conn, now)
        age = "-" if status.oldest_age_seconds is None else f"{status.oldest_age_seconds:.1f} s"
        lines = [f"pending: {status.pending}", f"oldest: {age}",
                 f"published in the last hour: {status.published_last_hour}"]
        lines += [f"  {b.kind:5} {b.destination:40} {b.pending:6}  since {b.oldest.isoformat()}"
                  for b in status.backlog]
        print_result(status.as_dict(), args.json, lines)
        return 0
    dead_letters = DeadLetters(config.broker_url,
                               Topology(config.bus_namespace, config.bus_quorum), service)
    if args.lever == "dead-letters":
        letters = dead_letters.list(args.limit)
        lines = [f"{len(letters)} dead letter(s) in {dead_letters.queue_name}"]
        lines += [f"  {d.event_id}  {d.type}  {d.reason}  first seen "
                  f"{d.first_seen.isoformat() if d.first_seen else '-'}  deaths {d.deaths}"
                  for d in letters]
        print_result([d.as_dict() for d in letters], args.json, lines)
        return 0
    replayed = dead_letters.replay(None if args.all else args.event_id)
    lines = [f"replayed {len(replayed)} event(s) to their queue"]
    lines += [f"  {d.event_id}  {d.type}  -> {d.queue}" for d in replayed]
    print_result([d.as_dict() for d in replayed], args.json, lines)
    if args.event_id and not replayed:
        sys.stderr.write(f"no dead letter with event id {args.event_id}\n")
        return 1
    return 0
