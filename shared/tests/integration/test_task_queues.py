"""The Celery task queues are quorum queues declared alike by the relays and by Celery, and a
broker still holding an earlier version's classic queue of the same name does not make
start-up fail (issue 15)."""

import pytest
from amqp.exceptions import PreconditionFailed
from celery import Celery
from kombu import Connection, Exchange, Queue

from shared.outbox import declare_task_queue, legacy_task_queue, task_queue
from testsupport import BROKER, unique

pytestmark = pytest.mark.integration


@pytest.fixture
def name():
    name = f"{unique('tq')}.mail"
    yield name
    with Connection(BROKER) as conn:
        for queue in (task_queue(name), legacy_task_queue(name)):
            try:
                channel = conn.channel()
                queue(channel).delete()
                queue.exchange(channel).delete()
            except Exception:  # noqa: BLE001 - already gone
                pass


def test_a_task_queue_is_a_quorum_queue(name):
    with Connection(BROKER) as conn:
        assert declare_task_queue(conn, name).queue_arguments == {"x-queue-type": "quorum"}
        # A classic declaration of the same name is refused: the broker holds a quorum queue.
        with pytest.raises(PreconditionFailed):
            Queue(name, Exchange(name, "topic", durable=True), routing_key=name,
                  durable=True)(conn.channel()).declare()


def test_an_earlier_classic_queue_is_used_as_found_and_start_up_goes_on(name, caplog):
    with Connection(BROKER) as conn:
        Queue(name, Exchange(name, "direct", durable=True), routing_key=name,
              durable=True)(conn.default_channel).declare()
        found = declare_task_queue(conn, name)
        assert found.no_declare and found.exchange.type == "direct"
        assert "rabbitmqctl delete_queue" in caplog.text
        # the connection's default channel is still usable for publishing
        from kombu import Producer

        Producer(conn.default_channel).publish({"x": 1}, exchange=found.exchange,
                                               routing_key=name, declare=[found])
        assert found(conn.channel()).queue_declare(passive=True).message_count == 1


def test_celery_takes_the_classic_queue_it_finds_instead_of_failing(name):
    from notifier.celery_app import use_broker_queues

    with Connection(BROKER) as conn:
        Queue(name, Exchange(name, "direct", durable=True), routing_key=name,
              durable=True)(conn.default_channel).declare()
    app = Celery("t", broker=BROKER)
    app.conf.task_queues = [task_queue(name)]
    use_broker_queues(app)
    assert app.amqp.queues[name].queue_arguments in (None, {})
    assert app.amqp.queues[name].exchange.type == "direct"
    assert name in app.amqp.queues.consume_from
    quorum = f"{name}2"
    try:
        app2 = Celery("t2", broker=BROKER)
        app2.conf.task_queues = [task_queue(quorum)]
        use_broker_queues(app2)
        assert app2.amqp.queues[quorum].queue_arguments == {"x-queue-type": "quorum"}
    finally:
        with Connection(BROKER) as conn:
            task_queue(quorum)(conn.channel()).delete()
            task_queue(quorum).exchange(conn.channel()).delete()
