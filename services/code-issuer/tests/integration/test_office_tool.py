import json

import pytest
from code_issuer.office import EXIT_REFUSED, EXIT_UNREACHABLE, main

from testsupport import BROKER, eventually

pytestmark = pytest.mark.integration


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_office_tool_issues_reissues_lists_and_revokes(server, capsys, clock):
    base = ("--url", server, "--key", "dev-office-key")
    code, first, _ = run(capsys, *base, "issue", "--number", "12345-1234567", "--birth-date", "1990-01-02")
    assert code == 0 and len(first["code"]) == 10
    clock.advance(seconds=1)
    code, second, _ = run(capsys, *base, "reissue", "--number", "１２３４５－１２３４５６７")
    assert code == 0 and second["superseded"] == [first["code_id"]]
    code, listed, _ = run(capsys, *base, "list", "--number", "12345-1234567")
    assert [c["status"] for c in listed] == ["active", "superseded"]
    code, revoked, _ = run(capsys, *base, "revoke", second["code_id"])
    assert code == 0 and revoked["status"] == "revoked"
    code, _, err = run(capsys, *base, "--lang", "en", "revoke", second["code_id"])
    assert code == EXIT_REFUSED and "CODE_NOT_ACTIVE" in err and "no longer active" in err


def test_issue17_office_tool_idempotency_key_birth_date_confirmation_and_person(server, capsys,
                                                                            clock):
    base = ("--url", server, "--key", "dev-office-key")
    issue = (*base, "issue", "--number", "12345-1234567", "--birth-date", "1990-01-02",
             "--idempotency-key", "tool-1")
    code, first, _ = run(capsys, *issue)
    assert code == 0 and len(first["code"]) == 10
    code, again, _ = run(capsys, *issue)
    assert code == 0 and again["already_issued"] is True and "code" not in again
    assert again["code_id"] == first["code_id"]
    clock.advance(seconds=1)
    other = (*base, "reissue", "--number", "12345-1234567", "--birth-date", "1990-01-03")
    code, _, err = run(capsys, *other)
    assert code == EXIT_REFUSED and "BIRTH_DATE_DIFFERS" in err
    code, reissued, _ = run(capsys, *other, "--confirm-birth-date")
    assert code == 0 and reissued["birth_date"] == "1990-01-03"
    code, person, _ = run(capsys, *base, "person", "--number", "12345-1234567")
    assert code == 0 and person["birth_date"] == "1990-01-03" and person["account_status"] == "none"


def test_office_tool_reports_a_wrong_key_and_an_unreachable_server(server, capsys):
    code, _, err = run(capsys, "--url", server, "--key", "wrong", "list", "--number", "12345-1")
    assert code == EXIT_REFUSED and "UNAUTHORIZED" in err
    code, _, err = run(capsys, "--url", "http://127.0.0.1:9", "list", "--number", "12345-1")
    assert code == EXIT_UNREACHABLE and "cannot reach" in err


def test_office_tool_publishes_the_three_job_seeker_events(server, consumer, topology, capsys,
                                                           office, relay, published):
    bus = ("event", "--broker-url", BROKER, "--namespace", topology.namespace)
    code, envelope, _ = run(capsys, *bus, "registered", "--number", "12345-7", "--birth-date",
                            "1990-01-02", "--office-id", "13001")
    assert code == 0 and envelope["type"] == "job_seeker.registered"
    assert envelope["producer"] == "office-cli" and envelope["payload"]["birth_date"] == "1990-01-02"
    eventually(lambda: consumer.handled >= 1)
    issued = office.issue(number="12345-7", birth_date=None).get_json()
    assert run(capsys, *bus, "corrected", "--number", "12345-7", "--birth-date", "1990-01-03")[0] == 0
    eventually(lambda: office.status(issued["code_id"], "12345-7")["reason"] == "holder_corrected")
    again = office.issue(number="12345-7", birth_date=None).get_json()
    assert run(capsys, *bus, "closed", "--number", "12345-7", "--reason", "employed")[0] == 0
    eventually(lambda: office.status(again["code_id"], "12345-7")["reason"] == "job_seeker_closed")
    relay.run_once()
    eventually(lambda: len(published.of_type("code.revoked")) == 2)
    assert sorted(e["payload"]["reason"] for e in published.of_type("code.revoked")) == [
        "holder_corrected", "job_seeker_closed"]


def test_office_tool_refuses_a_malformed_event_before_publishing(topology, capsys, published):
    code, _, err = run(capsys, "event", "--broker-url", BROKER, "--namespace", topology.namespace,
                       "registered", "--number", "1-2", "--birth-date", "1990-01-02", "--office-id", "1")
    assert code == EXIT_REFUSED and "12345-1234567" in err
    code, _, err = run(capsys, "event", "--broker-url", BROKER, "--namespace", topology.namespace,
                       "corrected", "--number", "12345-1", "--birth-date", "1990-02-30")
    assert code == EXIT_REFUSED
    assert published.drain() == []
