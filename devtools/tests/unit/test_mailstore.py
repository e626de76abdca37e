import json
import threading
from concurrent.futures import ThreadPoolExecutor
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


def test_messages_to_one_recipient_are_found_through_the_index_newest_first(tmp_path):
    store = MailStore(tmp_path)
    for n, to in enumerate(["a@example.jp", "b@example.jp", "A@Example.jp", "c@example.jp"]):
        store.add(mail(f"件名{n}", f"本文{n}"), "x@example.jp", [to])
    store.add(mail("二人へ", "本文"), "x@example.jp", ["b@example.jp", "a@example.jp"])
    assert [m["subject"] for m in store.messages(to="a@example.jp")] == ["二人へ", "件名2", "件名0"]
    assert [m["subject"] for m in store.messages(to=" B@EXAMPLE.JP ")] == ["二人へ", "件名1"]
    assert store.messages(to="nobody@example.jp") == []
    assert store.messages(to="a@example.jp")[1]["text"].strip() == "本文2"
    # a recipient is a whole address, not a part of one
    assert store.messages(to="example.jp") == []


def test_limit_gives_the_newest(tmp_path):
    store = MailStore(tmp_path)
    for n in range(5):
        store.add(mail(f"件名{n}", "本文"), "x@example.jp", ["a@example.jp"])
    assert [m["subject"] for m in store.messages(limit=2)] == ["件名4", "件名3"]
    assert [m["subject"] for m in store.messages(to="a@example.jp", limit=1)] == ["件名4"]
    assert len(store.messages(limit=50)) == 5 and store.count() == 5


def test_after_a_clear_the_recipient_index_forgets_and_new_mail_is_found(tmp_path):
    store = MailStore(tmp_path)
    store.add(mail("前", "本文"), "x@example.jp", ["a@example.jp"])
    assert len(store.messages(to="a@example.jp")) == 1
    assert store.clear() == 1
    assert store.messages(to="a@example.jp") == [] and store.count() == 0
    store.add(mail("後", "本文"), "x@example.jp", ["a@example.jp"])
    assert [m["subject"] for m in store.messages(to="a@example.jp")] == ["後"]


def test_a_store_reads_mail_another_process_appended_and_a_clear_made_elsewhere(tmp_path):
    """The index is the truth, not the server's memory: a second store on the same folder
    (as after a restart, or the chaos suite's reader) sees the same mails."""
    server, other = MailStore(tmp_path), MailStore(tmp_path)
    server.add(mail("一", "本文"), "x@example.jp", ["a@example.jp"])
    assert [m["subject"] for m in other.messages(to="a@example.jp")] == ["一"]
    server.add(mail("二", "本文"), "x@example.jp", ["a@example.jp"])
    assert [m["subject"] for m in other.messages(to="a@example.jp")] == ["二", "一"]
    other.clear()
    assert server.messages() == []
    server.add(mail("三", "本文"), "x@example.jp", ["a@example.jp"])
    assert [m["subject"] for m in other.messages()] == ["三"]


def test_many_threads_adding_at_once_keep_every_mail_once_while_a_reader_lists(tmp_path):
    store = MailStore(tmp_path)
    seen_counts, faults = [], []
    done = threading.Event()

    def read_while_writing():
        while not done.is_set():
            listed = store.messages()
            ids = [m["id"] for m in listed]
            if len(ids) != len(set(ids)) or any(m["text"].strip() != "本文" for m in listed):
                faults.append(listed)  # a mail twice, or a half file
            seen_counts.append(len(ids))

    def send(worker):
        for n in range(40):
            store.add(mail(f"{worker}-{n}", "本文"), "x@example.jp", [f"w{worker}@example.jp"])

    reader = threading.Thread(target=read_while_writing)
    reader.start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(8)))
    done.set()
    reader.join()
    assert faults == [] and len(seen_counts) > 1
    assert seen_counts == sorted(seen_counts)  # the list only grows
    assert store.count() == 320
    for worker in range(8):
        subjects = [m["subject"] for m in store.messages(to=f"w{worker}@example.jp")]
        assert subjects == [f"{worker}-{n}" for n in reversed(range(40))]
    lines = (tmp_path / INDEX).read_bytes().splitlines()
    assert len(lines) == 320 and len({json.loads(line)["id"] for line in lines}) == 320
    assert len(list(tmp_path.glob("*.eml"))) == 320 and not list(tmp_path.glob(".*.tmp"))
