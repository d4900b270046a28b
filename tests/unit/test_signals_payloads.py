"""The signals one process sends the others fit NOTIFY's payload limit, however many wait at once."""

from hub.notify.signals import PAYLOAD_BYTES, _payloads


def test_many_signals_are_split_into_payloads_under_the_limit_keeping_each_once_in_order():
    signals = [f"x{n}:{'f' * 64}" for n in range(400)] + ["p", "t12", "w2026-11-24T01:05:00+00:00"]
    payloads = _payloads("ab12cd34", signals)
    assert len(payloads) > 1
    assert all(len(p.encode()) <= PAYLOAD_BYTES and p.startswith("ab12cd34 ") for p in payloads)
    assert [s for p in payloads for s in p.split()[1:]] == signals


def test_nothing_to_say_sends_nothing():
    assert _payloads("ab12cd34", []) == []
