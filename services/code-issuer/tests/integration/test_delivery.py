import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from shared.outbox import Relay
from testsupport import BROKER, TcpProxy, eventually

pytestmark = pytest.mark.integration


def test_issuing_succeeds_with_the_broker_unreachable_and_the_event_arrives_once_it_is_back(
        office, dsn, topology, published, clock):
    proxy = TcpProxy("127.0.0.1", 5672)
    proxy.cut()
    relay = Relay(dsn, f"amqp://guest:guest@127.0.0.1:{proxy.port}//", topology, clock,
                  poll_interval=0.1)
    thread = threading.Thread(target=relay.run)
    thread.start()
    try:
        response = office.issue()
        assert response.status_code == 201
        threading.Event().wait(1.0)
        assert published.drain() == []
        proxy.restore()
        issued = eventually(lambda: published.of_type("code.issued"), timeout=20)
    finally:
        relay.stopping.set()
        thread.join()
        proxy.close()
    assert [e["payload"]["code_id"] for e in issued] == [response.get_json()["code_id"]]
    threading.Event().wait(0.3)
    assert len(published.of_type("code.issued")) == 1


def test_two_relays_at_once_publish_each_event_once(office, dsn, topology, published, clock):
    numbers = [f"12345-{i}" for i in range(1, 31)]
    for number in numbers:
        assert office.issue(number=number).status_code == 201
    relays = [Relay(dsn, BROKER, topology, clock, batch_size=4, poll_interval=0.1) for _ in range(2)]
    threads = [threading.Thread(target=r.run) for r in relays]
    for t in threads:
        t.start()
    try:
        eventually(lambda: len(published.drain()) >= 30, timeout=20)
    finally:
        for r in relays:
            r.stopping.set()
        for t in threads:
            t.join()
    ids = [e["event_id"] for e in published.drain()]
    assert len(ids) == len(set(ids)) == 30
    assert sorted(e["payload"]["job_seeker_number"] for e in published.seen) == sorted(numbers)


def test_r3_concurrent_issues_for_one_person_leave_exactly_one_active_code(server, office):
    def issue(_):
        return requests.post(f"{server}/v1/codes", timeout=20,
                             json={"job_seeker_number": "12345-1234567", "birth_date": "1990-01-02"},
                             headers={"Authorization": "Bearer dev-office-key"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(issue, range(16)))
    assert [r.status_code for r in responses] == [201] * 16
    listed = office.codes()
    assert len(listed) == 16
    assert [c["status"] for c in listed].count("active") == 1
    assert [c["status"] for c in listed].count("superseded") == 15
    superseded = [s for r in responses for s in r.json()["superseded"]]
    assert len(superseded) == len(set(superseded)) == 15  # each old code superseded exactly once
