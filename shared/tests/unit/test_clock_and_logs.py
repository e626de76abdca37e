import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from shared.clock import FileClock, FixedClock, iso, set_file_clock
from shared.config import ConfigError, refuse_unsafe_production
from shared.logs import MaskingFilter, mask_address, mask_email


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2026, 4, 1, tzinfo=UTC))
    clock.advance(minutes=50)
    assert clock.now() == datetime(2026, 4, 1, 0, 50, tzinfo=UTC)


def test_fixed_clock_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 4, 1))


def test_file_clock_jumps_and_keeps_flowing(tmp_path):
    path = str(tmp_path / "clock")
    clock = FileClock(path, reread_seconds=0)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)
    target = datetime(2030, 1, 1, tzinfo=UTC)
    set_file_clock(path, target)
    assert abs(clock.now() - target) < timedelta(seconds=1)


def test_iso_is_utc_with_z():
    assert iso(datetime(2026, 4, 1, 9, tzinfo=UTC)) == "2026-04-01T09:00:00Z"


def test_production_refuses_default_secret_and_test_clock():
    with pytest.raises(ConfigError):
        refuse_unsafe_production("production", digest_secret="dev-only-secret-change-me")
    with pytest.raises(ConfigError):
        refuse_unsafe_production("production", test_clock_file="/tmp/clock")
    with pytest.raises(ConfigError):
        refuse_unsafe_production("production", digest_secret="short")
    refuse_unsafe_production("development", digest_secret="dev-only-secret-change-me")


def test_logs_mask_email_birth_date_and_secrets():
    record = logging.LogRecord("x", logging.INFO, "", 0, "mail to taro@example.jp born 1990-01-02",
                               (), None)
    record.email = "taro@example.jp"
    record.auth_key = "ABCD1234"
    record.payload = {"birth_date": "1990-01-02", "code": "X"}
    MaskingFilter().filter(record)
    text = json.dumps({k: v for k, v in record.__dict__.items() if isinstance(v, str | dict)})
    assert "taro@" not in text and "1990-01-02" not in text and "ABCD1234" not in text
    assert mask_email("taro@example.jp") == "t***@example.jp"


@pytest.mark.parametrize(("address", "masked"), [
    ("203.0.113.7", "203.0.113.0/24"),
    (" 203.0.113.255 ", "203.0.113.0/24"),
    ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
    ("2001:DB8:ABCD:FFFF:1:2:3:4", "2001:db8:abcd::/48"),
    ("fe80::1%eth0", "fe80::/48"),
    ("::ffff:198.51.100.9", "198.51.100.0/24"),
    ("::1", "::/48"),
    ("", "unknown"), ("unknown", "unknown"), ("203.0.113.7:443", "unknown"),
    ("203.0.113.0/24", "unknown"), ("999.1.1.1", "unknown"), (None, "unknown"),
])
def test_item9_client_addresses_are_masked_to_their_24_or_48_network(address, masked):
    assert mask_address(address) == masked
