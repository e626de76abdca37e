"""Following the mail store's index from another process (the bench, the chaos suite)."""

import json
from email.message import EmailMessage

from devtools.mailstore import INDEX, IndexReader, MailStore


def mail(to):
    message = EmailMessage()
    message["Subject"] = "パスワード登録申込受付通知"
    message["To"] = to
    message.set_content("認証キー ABCD1234", charset="utf-8", cte="base64")
    return message.as_bytes()


def test_the_index_is_read_from_where_the_last_read_ended(tmp_path):
    store, reader = MailStore(tmp_path), IndexReader(tmp_path)
    assert reader.read() == []
    first = store.add(mail("x@example.jp"), "system@example.jp", ["x@example.jp"])
    assert [e["id"] for e in reader.read()] == [first["id"]]
    second = store.add(mail("y@example.jp"), "system@example.jp", ["y@example.jp"])
    assert [e["id"] for e in reader.read()] == [second["id"]]
    assert reader.read() == []


def test_a_line_still_being_written_waits_for_the_next_read(tmp_path):
    entry = {"id": "a", "to": "x@example.jp", "received_at": "2026-11-25T00:00:00Z"}
    line = json.dumps(entry).encode() + b"\n"
    (tmp_path / INDEX).write_bytes(line[:10])
    reader = IndexReader(tmp_path)
    assert reader.read() == []
    (tmp_path / INDEX).write_bytes(line)
    assert reader.read() == [entry]


def test_after_a_clear_the_reader_starts_again_from_the_beginning(tmp_path):
    store, reader = MailStore(tmp_path), IndexReader(tmp_path)
    for to in ("a@example.jp", "b@example.jp", "c@example.jp"):
        store.add(mail(to), "system@example.jp", [to])
    assert len(reader.read()) == 3
    store.clear()
    assert reader.read() == []
    again = store.add(mail("d@example.jp"), "system@example.jp", ["d@example.jp"])
    assert [e["id"] for e in reader.read()] == [again["id"]]


def test_starts_counts_each_time_the_reader_had_to_begin_again(tmp_path):
    """A caller keeping what it read (the server's own store) forgets it when this grows."""
    store, reader = MailStore(tmp_path), IndexReader(tmp_path)
    reader.read()
    assert reader.starts == 0  # no index yet is not a new beginning
    store.add(mail("a@example.jp"), "system@example.jp", ["a@example.jp"])
    reader.read()
    reader.read()
    assert reader.starts == 0
    store.clear()
    reader.read()
    assert reader.starts == 1
    reader.read()
    assert reader.starts == 1  # still no index: nothing new to forget
