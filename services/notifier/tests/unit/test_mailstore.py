from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from notifier.mailstore import MailStore


def mail(subject, text):
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "system@mail.example.jp"
    message["To"] = "taro@example.jp"
    message.set_content(text, charset="utf-8", cte="base64")
    return message.as_bytes()


def test_messages_are_kept_as_files_and_listed_newest_first_decoded(tmp_path):
    store = MailStore(tmp_path)
    at = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    first = store.add(mail("最初", "本文1"), "system@mail.example.jp", ["taro@example.jp"], at)
    store.add(mail("二通目", "本文2"), "system@mail.example.jp", ["hanako@example.jp"],
              at + timedelta(seconds=1))
    listed = store.messages()
    assert [m["subject"] for m in listed] == ["二通目", "最初"]
    assert listed[0]["to"] == "hanako@example.jp"
    assert listed[1]["text"].strip() == "本文1"
    assert listed[1]["received_at"] == "2026-04-01T01:00:00Z"
    assert (tmp_path / f"{first['id']}.eml").exists()
    assert MailStore(tmp_path).messages() == listed  # survives a restart


def test_clear_forgets_every_message(tmp_path):
    store = MailStore(tmp_path)
    store.add(mail("a", "b"), "x@example.jp", ["y@example.jp"])
    assert store.clear() == 1
    assert store.messages() == [] and list(tmp_path.glob("*.eml")) == []


def test_raw_gives_the_stored_bytes_only_for_known_ids(tmp_path):
    store = MailStore(tmp_path)
    raw = mail("a", "b")
    entry = store.add(raw, "x@example.jp", ["y@example.jp"])
    assert store.raw(entry["id"]) == raw
    assert store.raw("../index") is None
