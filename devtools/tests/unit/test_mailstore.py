from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from devtools.mailstore import INDEX, MailStore


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


def test_issue19_keeping_a_mail_appends_one_line_and_rewrites_nothing(tmp_path):
    """One mail costs the same however many are stored: the index is appended to, never
    read back and rewritten whole (6.7 ms a flow at B4's rates before)."""
    store = MailStore(tmp_path)
    for n in range(50):
        store.add(mail(f"件名{n}", "本文"), "x@example.jp", [f"js{n}@example.jp"])
    index = tmp_path / INDEX
    before, inode = index.read_bytes(), index.stat().st_ino
    store.add(mail("最後", "本文"), "x@example.jp", ["last@example.jp"])
    after = index.read_bytes()
    assert index.stat().st_ino == inode
    assert after.startswith(before)
    assert after[len(before):].count(b"\n") == 1


def test_a_multipart_alternative_mail_is_listed_with_its_decoded_plain_part(tmp_path):
    """The notifier's mails are text + HTML alternatives: `text` is the plain part, decoded."""
    message = EmailMessage()
    message["Subject"] = "パスワード変更のお知らせ"
    message["From"] = "system@mail.example.jp"
    message["To"] = "taro@example.jp"
    message.set_content("パスワードが変更されました。", charset="utf-8", cte="base64")
    message.add_alternative("<p>HTML &amp; only</p>", subtype="html", charset="utf-8",
                            cte="base64")
    store = MailStore(tmp_path)
    store.add(message.as_bytes(), "system@mail.example.jp", ["taro@example.jp"])
    [listed] = store.messages()
    assert listed["subject"] == "パスワード変更のお知らせ"
    assert listed["text"].strip() == "パスワードが変更されました。"
