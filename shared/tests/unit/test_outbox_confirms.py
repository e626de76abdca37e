import pytest

from shared.outbox import _Confirms


def test_a_batch_is_confirmed_only_when_every_delivery_tag_is_acked():
    confirms = _Confirms()
    confirms.sent = 4
    confirms.ack(2, multiple=False)
    confirms.ack(1, multiple=False)
    assert not confirms.all_confirmed()
    confirms.ack(4, multiple=False)
    assert not confirms.all_confirmed()
    confirms.ack(3, multiple=True)
    assert confirms.all_confirmed()


def test_a_multiple_ack_confirms_every_earlier_tag():
    confirms = _Confirms()
    confirms.sent = 200
    confirms.ack(200, multiple=True)
    assert confirms.all_confirmed()


def test_a_nack_leaves_the_batch_unpublished():
    confirms = _Confirms()
    confirms.sent = 2
    confirms.ack(1, multiple=False)
    confirms.nack(2, multiple=False)
    with pytest.raises(RuntimeError):
        confirms.all_confirmed()
