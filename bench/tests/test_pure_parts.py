"""The bench's own pure parts: statistics, the auth key of a mail, profile summaries (the mail
index is followed with devtools.mailstore.IndexReader, tested in devtools/tests)."""

import math

from bench.mailbox import auth_key_of
from bench.pgbench import percentile
from bench.profile import summarise
from bench.stats import Spread, digits_for, ratio


def test_a_spread_is_the_median_with_the_range_of_the_runs():
    spread = Spread.of([3.0, 1.0, 2.0])
    assert (spread.median, spread.low, spread.high, spread.runs) == (2.0, 1.0, 3.0, 3)
    assert spread.text() == "2 (1–3)"


def test_a_spread_of_nothing_says_so():
    assert Spread.of([]).text() == "n/a"
    assert Spread.of([math.nan]).runs == 0


def test_nearest_rank_percentiles():
    values = sorted(float(v) for v in range(1, 101))
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_a_ratio_to_a_missing_ceiling_is_not_a_number():
    assert ratio(5, 10) == 0.5
    assert math.isnan(ratio(5, 0))
    assert digits_for(1234) == 0 and digits_for(12.3) == 1 and digits_for(1.23) == 2


def test_the_auth_key_is_read_from_the_mail_body():
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "パスワード登録申込受付通知"
    message.set_content("■認証キー\n　ABCD1234\n", charset="utf-8", cte="base64")
    assert auth_key_of(message.as_bytes()) == "ABCD1234"


def test_a_profile_summary_gives_shares_by_library_and_function():
    raw = ("<module> (app.py:1);handle (gunicorn/workers/gthread.py:10);"
           "execute (psycopg/cursor.py:5) 30\n"
           "<module> (app.py:1);hash (argon2/_password_hasher.py:3) 70\n")
    text = summarise(raw, "demo")
    assert "demo: 100 samples" in text
    assert "70.0 %  argon2 hashing" in text
    assert "30.0 %  PostgreSQL client (psycopg, pool)" in text


def test_waiting_frames_are_not_counted_as_a_library_working():
    raw = ("run (gthread.py:1);getconn (psycopg_pool/pool.py:2);wait (threading.py:3) 40\n"
           "run (gthread.py:1);execute (psycopg/cursor.py:5) 60\n")
    text = summarise(raw, "demo")
    assert "40.0 %  waiting for I/O, a lock or a core (runnable)" in text
    assert "60.0 %  PostgreSQL client (psycopg, pool)" in text
