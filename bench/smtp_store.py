"""What one mail costs the local SMTP server, and what a test's poll costs it, with 10,
1,000 and 5,000 mails stored (issue 19's "whole flows" lever, bench/levers/smtp-store.md).

Two measurements, each interleaved in one sitting (A, B, A, B...), medians and ranges:

- `server`: two `python -m devtools smtp` processes, each run by its own tree's venv (the
  old tree given by `--old`, this one), filled to each size over SMTP, then timed: N mails
  delivered as the notifier does (one SMTP connection a mail), the server's CPU per mail
  (from /proc), and polls of `GET /api/messages` (the whole list, and one person's mails:
  `?to=` where the tree has it, else the whole list filtered by the client).
- `store`: `MailStore.add` called directly, for the store before a8d92ff (one
  `index.json` read and rewritten per mail, taken from git), the old tree's and this one.

    .venv/bin/python -m bench.smtp_store server --old /work/wt/base
    .venv/bin/python -m bench.smtp_store store --old /work/wt/base
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from notifier.mail import render_auth_key_mail

from shared.clock import iso
from testsupport.servers import free_port

HERE = Path(__file__).resolve().parent.parent
REWRITING_STORE = ("a8d92ff^", "services/notifier/notifier/mailstore.py")


def auth_key_mail(to: str) -> EmailMessage:
    return render_auth_key_mail(to=to, auth_key="7K3QZ9MX", handed_at=datetime.now(UTC),
                                minutes=50, tz=ZoneInfo("Asia/Tokyo"),
                                mail_from="system@mail.example.jp")


def spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


# --- the server, over SMTP and HTTP ---------------------------------------------------

class Sink:
    """One tree's `python -m devtools smtp`, with its own store, on free ports."""

    def __init__(self, name: str, tree: Path, workdir: Path):
        self.name, self.tree = name, tree
        self.smtp_port, self.page_port = free_port(), free_port()
        self.token = secrets.token_urlsafe(24)
        env = {**os.environ, "SMTP_LISTEN_PORT": str(self.smtp_port),
               "MAIL_PAGE_PORT": str(self.page_port), "MAIL_STORE_DIR": str(workdir / name),
               "MAIL_PAGE_TOKEN": self.token, "LOG_LEVEL": "WARNING"}
        env.pop("VIRTUAL_ENV", None)
        self.log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([str(tree / ".venv/bin/python"), "-m", "devtools", "smtp"],
                                     cwd=tree, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.get("/api/status")
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: the SMTP server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.page_port}{path}",
                                    timeout=900) as answer:
            return answer.read()

    def clear(self) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{self.page_port}/api/messages",
                                         method="DELETE",
                                         headers={"Authorization": f"Bearer {self.token}"})
        urllib.request.urlopen(request, timeout=120).read()  # noqa: S310 - http, loopback

    def has_to_filter(self) -> bool:
        try:
            self.get("/api/messages?to=nobody@example.jp")
            return True
        except urllib.error.HTTPError:  # the old page knows no query: 404
            return False

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def fill(self, count: int, start: int) -> None:
        """`count` mails over one connection (only to reach a size; not timed)."""
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as smtp:
            for n in range(start, start + count):
                smtp.send_message(auth_key_mail(f"fill{n}@example.jp"))


def timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def server_block(sink: Sink, size: int, mails: int, polls: int) -> dict:
    """Empty the store, fill it to `size`, then time `mails` deliveries and `polls` reads.
    The old page has no `?to=`: its client's only way to one person's mail is the whole
    list, so there one request is timed for both figures."""
    sink.clear()
    sink.fill(size, 0)
    delivery, cpu_before = [], sink.cpu_seconds()
    for n in range(mails):
        message = auth_key_mail(f"timed{n}@example.jp")
        with smtplib.SMTP("127.0.0.1", sink.smtp_port, timeout=60) as smtp:
            delivery.append(timed(lambda: smtp.send_message(message))[0])  # noqa: B023
    cpu_per_mail = (sink.cpu_seconds() - cpu_before) * 1000 / mails
    whole, one = [], []
    to_filter = sink.has_to_filter()
    for n in range(polls):
        person = f"timed{n % mails}@example.jp"
        ms, body = timed(lambda: sink.get("/api/messages"))
        whole.append(ms)  # the first after the deliveries: the new store decodes them here
        if to_filter:
            ms, body = timed(lambda: sink.get(f"/api/messages?to={person}"))  # noqa: B023
        listed = [m for m in json.loads(body) if m["to"] == person]
        one.append(ms)
        assert len(listed) == 1, (sink.name, person, len(listed))
    return {"delivery_ms": statistics.median(delivery), "cpu_ms_per_mail": cpu_per_mail,
            "first_all_ms": whole[0], "poll_all_ms": statistics.median(whole[1:] or whole),
            "poll_one_ms": statistics.median(one[1:] or one)}


def run_server(args) -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="smtp-store-") as workdir, ExitStack() as stack:
        sinks = []
        for name, tree in (("old", Path(args.old)), ("new", HERE)):
            sink = Sink(name, tree.resolve(), Path(workdir))
            stack.callback(sink.stop)
            sinks.append(sink)
        for size in args.sizes:
            for round_ in range(args.rounds):
                for sink in sinks:
                    block = server_block(sink, size, args.mails, args.polls)
                    results.setdefault(f"{sink.name} {size}", []).append(block)
                    print(f"server {sink.name} size={size} round={round_ + 1}: "
                          + ", ".join(f"{k}={v:.2f}" for k, v in block.items()), flush=True)
    print("\n| stored | tree | SMTP send ms/mail | server CPU ms/mail | first GET all ms "
          "| GET all ms | GET one person ms |")
    print("|---|---|---|---|---|---|---|")
    for key, blocks in results.items():
        name, size = key.split()
        cells = [spread([b[f] for b in blocks]) for f in
                 ("delivery_ms", "cpu_ms_per_mail", "first_all_ms", "poll_all_ms",
                  "poll_one_ms")]
        print(f"| {int(size):,} | {name} | " + " | ".join(cells) + " |")
    return results


# --- the store alone, in this process -------------------------------------------------

def load_store(name: str, source: str) -> type:
    """A MailStore class from its source text (an older version kept in git or a tree)."""
    path = Path(tempfile.mkdtemp(prefix="store-src-")) / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"bench_store_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.MailStore


def stores(old_tree: Path) -> dict[str, type]:
    rewriting = subprocess.run(["git", "show", ":".join(REWRITING_STORE)], cwd=HERE,
                               check=True, capture_output=True, text=True).stdout
    return {"rewrite (before a8d92ff)": load_store("rewrite", rewriting),
            "old tree": load_store("old", (old_tree / "devtools/mailstore.py").read_text()),
            "new": load_store("new", (HERE / "devtools/mailstore.py").read_text())}


def template(directory: Path, size: int, raw: Callable[[str], bytes]) -> Path:
    """`size` mails and their index lines (as the stores write them), written once: each
    round starts from a copy. Written directly, as filling through `add` takes minutes on a
    loaded machine."""
    lines = []
    for n in range(size):
        at = datetime.now(UTC)
        entry = {"id": f"{at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}", "to": f"fill{n}@example.jp",
                 "from": "system@mail.example.jp", "subject": "パスワード登録申込受付通知",
                 "message_id": f"<fill{n}@example.jp>", "received_at": iso(at)}
        (directory / f"{entry['id']}.eml").write_bytes(raw(entry["to"]))
        lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    (directory / "index.jsonl").write_text("".join(lines), encoding="utf-8")
    return directory


def prefill(store_class: type, directory: Path, filled: Path) -> None:
    """The template's mails in the store's own format: the messages hard-linked (no store
    writes to them), the index copied (every store writes to its index)."""
    for eml in filled.glob("*.eml"):
        os.link(eml, directory / eml.name)
    lines = (filled / "index.jsonl").read_text(encoding="utf-8")
    if sys.modules[store_class.__module__].INDEX == "index.json":
        (directory / "index.json").write_text(
            json.dumps([json.loads(line) for line in lines.splitlines()], ensure_ascii=False,
                       indent=1), encoding="utf-8")
    else:
        (directory / "index.jsonl").write_text(lines, encoding="utf-8")


def store_block(store_class: type, filled: Path, mails: int,
                raw: Callable[[str], bytes]) -> dict:
    with tempfile.TemporaryDirectory(prefix="store-") as directory:
        prefill(store_class, Path(directory), filled)
        store = store_class(directory)
        wall, cpu = [], []
        for n in range(mails):
            message = raw(f"timed{n}@example.jp")
            started, started_cpu = time.perf_counter(), time.process_time()
            store.add(message, "system@mail.example.jp", [f"timed{n}@example.jp"])
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        return {"add_ms": statistics.median(wall), "add_cpu_ms": statistics.mean(cpu)}


def run_store(args) -> dict:
    classes = stores(Path(args.old))
    mails = {to: auth_key_mail(to).as_bytes() for to in
             [f"fill{n}@example.jp" for n in range(max(args.sizes))]
             + [f"timed{n}@example.jp" for n in range(args.mails)]}
    results: dict = {}
    for size in args.sizes:
        filled = template(Path(tempfile.mkdtemp(prefix="store-filled-")), size,
                          mails.__getitem__)
        for round_ in range(args.rounds):
            for name, store_class in classes.items():
                block = store_block(store_class, filled, args.mails, mails.__getitem__)
                results.setdefault((name, size), []).append(block)
                print(f"store {name} size={size} round={round_ + 1}: "
                      + ", ".join(f"{k}={v:.3f}" for k, v in block.items()), flush=True)
        shutil.rmtree(filled)
    print("\n| stored | store | add ms (median of the block) | add CPU ms (mean) |")
    print("|---|---|---|---|")
    for (name, size), blocks in results.items():
        print(f"| {size:,} | {name} | {spread([b['add_ms'] for b in blocks])} | "
              f"{spread([b['add_cpu_ms'] for b in blocks])} |")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smtp_store")
    parser.add_argument("what", choices=("server", "store"))
    parser.add_argument("--old", required=True, help="the tree to compare with (its own .venv)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=[10, 1000, 5000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mails", type=int, default=100, help="timed mails per block")
    parser.add_argument("--polls", type=int, default=3, help="timed reads per block")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # `timeout`: stop the servers too
    if not shutil.which("git"):
        sys.exit("git is needed to find the store before a8d92ff")
    (run_server if args.what == "server" else run_store)(args)


if __name__ == "__main__":
    main()
