"""Registration's migrations on a database that already holds accounts (real PostgreSQL)."""

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import registration

from shared.db import drop_database, migrate
from testsupport import dsn_for, unique

pytestmark = pytest.mark.integration

MIGRATIONS = Path(registration.__file__).parent / "migrations"
NOW = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


def add_account(conn, email, **columns):
    code_id = uuid.uuid4()
    conn.execute("INSERT INTO codes (code_id) VALUES (%s)", (code_id,))
    row = {"account_id": uuid.uuid4(), "email": email, "job_seeker_number": "12345-1",
           "code_id": code_id, "password_hash": "$argon2id$x", "registered_at": NOW,
           "privacy_policy_version": "v", "terms_of_use_version": "v", **columns}
    conn.execute(f"INSERT INTO accounts ({', '.join(row)}) "
                 f"VALUES ({', '.join(['%s'] * len(row))})", list(row.values()))


@pytest.fixture
def first_release(tmp_path):
    """A database migrated to r0001 only, as it stands in production before item 3."""
    (tmp_path / "m").mkdir()
    shutil.copy(MIGRATIONS / "r0001_registration.sql", tmp_path / "m")
    dsn = dsn_for(unique("test_registration_upgrade"))
    migrate(dsn, tmp_path / "m")
    yield dsn
    drop_database(dsn)


def test_item3_the_upgrade_backfills_email_canonical_and_indexes_it(first_release):
    with psycopg.connect(first_release, autocommit=True) as conn:
        add_account(conn, "Taro.Yamada@example.jp")
        add_account(conn, "hanako@example.jp")
    migrate(first_release, MIGRATIONS)
    with psycopg.connect(first_release, autocommit=True) as conn:
        assert conn.execute("SELECT email, email_canonical FROM accounts ORDER BY email"
                            ).fetchall() == [("Taro.Yamada@example.jp", "taro.yamada@example.jp"),
                                             ("hanako@example.jp", "hanako@example.jp")]
        # r0006: only a closed (R18-erased) account may lack it
        with pytest.raises(psycopg.errors.CheckViolation, match="erased_only_when_closed"):
            add_account(conn, "jiro@example.jp")
        with pytest.raises(psycopg.errors.UniqueViolation):
            add_account(conn, "TARO.yamada@example.jp", email_canonical="taro.yamada@example.jp")
        # The old index on lower(email) is gone: the canonical column alone decides R6.
        indexes = [r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'accounts'").fetchall()]
        assert not any("lower(" in d for d in indexes)
        assert any("UNIQUE" in d and "(email_canonical)" in d for d in indexes)



@pytest.fixture
def before_r12(tmp_path):
    """A database migrated up to r0003, as it stands before issue 17's R12."""
    (tmp_path / "m").mkdir()
    for name in ("r0001_registration.sql", "r0002_email_canonical.sql",
                 "r0003_auth_key_mails.sql"):
        shutil.copy(MIGRATIONS / name, tmp_path / "m")
    dsn = dsn_for(unique("test_registration_r12"))
    migrate(dsn, tmp_path / "m")
    yield dsn
    drop_database(dsn)


def test_r12_the_upgrade_keeps_second_accounts_opened_before_the_rule_and_marks_them(
        before_r12):
    with psycopg.connect(before_r12, autocommit=True) as conn:
        add_account(conn, "first@example.jp", email_canonical="first@example.jp")
        add_account(conn, "second@example.jp", email_canonical="second@example.jp",
                    registered_at=datetime(2026, 4, 2, tzinfo=UTC))
    migrate(before_r12, MIGRATIONS)
    with psycopg.connect(before_r12, autocommit=True) as conn:
        assert conn.execute(
            "SELECT email, opened_before_r12_as_second, closed_at FROM accounts ORDER BY email"
        ).fetchall() == [("first@example.jp", False, None), ("second@example.jp", True, None)]
        with pytest.raises(psycopg.errors.UniqueViolation):  # no third, from now on
            add_account(conn, "third@example.jp", email_canonical="third@example.jp")


def test_r18_r0006_lets_only_a_closed_account_lose_its_email_and_password_hash(conn):
    add_account(conn, "erase@example.jp", email_canonical="erase@example.jp")
    for column in ("email", "email_canonical", "password_hash"):
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(f"UPDATE accounts SET {column} = NULL WHERE email = "  # noqa: S608
                         "'erase@example.jp'")
    conn.execute("UPDATE accounts SET closed_at = now(), email = NULL, "
                 "email_canonical = NULL, password_hash = NULL WHERE email_canonical = "
                 "'erase@example.jp'")
    # two erased accounts do not collide in R6's unique index
    add_account(conn, "erase2@example.jp", email_canonical="erase2@example.jp")
    conn.execute("UPDATE accounts SET closed_at = now(), email = NULL, "
                 "email_canonical = NULL, password_hash = NULL WHERE email_canonical = "
                 "'erase2@example.jp'")
    assert conn.execute("SELECT count(*) FROM accounts WHERE email_canonical IS NULL"
                        ).fetchone()[0] == 2
