"""The pure rules behind exactly-once and reconciliation: which listed message is ours, when to
ask the gateway again, when its clock is too far from ours. No I/O, no clock."""

from datetime import UTC, datetime, timedelta

from hub.domain.sms import (
    GatewayMessage,
    callback_token,
    clock_skew_warning,
    next_check,
    our_message,
)

T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
HOOK = "https://xt.example.gov.cn/hooks/twilio/status"
DIGEST = "【协同】您有2条新通知：1.特急公文《森林防火》(编号1234)；2.特急公文《道路结冰》(编号5678)。回复“签收 编号”签收。"


def msg(sid: str, body: str = DIGEST, token: str | None = None, minutes: int = 0) -> GatewayMessage:
    callback = f"{HOOK}?m={token}" if token is not None else None
    return GatewayMessage(sid, body, "queued", None, T + timedelta(minutes=minutes), callback)


def test_an_earlier_message_with_the_same_text_whose_sid_we_hold_is_not_ours():
    listed = [msg("SM2", minutes=5), msg("SM1")]            # newest first, as Twilio lists
    assert our_message(listed, DIGEST, "tok2", known_sids={"SM1"}) == listed[0]
    assert our_message(listed[1:], DIGEST, "tok2", known_sids={"SM1"}) is None   # never reached the gateway


def test_of_several_unknown_messages_with_our_text_the_oldest_is_taken_first():
    listed = [msg("SM3", minutes=9), msg("SM2", minutes=5), msg("SM1")]
    assert our_message(listed, DIGEST, "", known_sids={"SM1"}).sid == "SM2"


def test_a_record_showing_its_callback_is_ours_exactly_when_it_carries_our_token():
    listed = [msg("SM2", token="theirs", minutes=5), msg("SM1", token="ours")]
    assert our_message(listed, DIGEST, "ours", known_sids=set()).sid == "SM1"
    assert our_message(listed, DIGEST, "another", known_sids=set()) is None   # same text, not ours
    assert our_message([msg("SM9", body="other text", token="ours")], DIGEST, "ours", set()).sid == "SM9"


def test_a_callback_token_is_read_from_the_query():
    assert callback_token(f"{HOOK}?m=abc_-1") == "abc_-1"
    assert callback_token(f"{HOOK}?x=1&m=q") == "q" and callback_token(HOOK) == ""


def test_a_message_not_final_is_asked_about_less_and_less_often_then_no_more():
    after, give_up = timedelta(minutes=10), timedelta(hours=48)
    assert next_check(T, 1, T + after, after, give_up) == T + after + 2 * after
    assert next_check(T, 2, T + 3 * after, after, give_up) == T + 3 * after + 4 * after
    assert next_check(T, 9, T + timedelta(hours=40), after, give_up) is None


def test_the_clock_warning_needs_more_than_the_limit_either_way():
    limit = timedelta(minutes=1)
    assert not clock_skew_warning(None, limit) and not clock_skew_warning(timedelta(seconds=60), limit)
    assert clock_skew_warning(timedelta(seconds=61), limit) and clock_skew_warning(timedelta(minutes=-30), limit)


def test_every_state_an_sms_can_be_in_has_a_label_in_both_languages():
    from hub.domain.sms import STATUS_RANK
    from webapp.i18n import translate
    for lang in ("zh", "en"):
        for state in {*STATUS_RANK, "sending", "skipped"} - {"receiving", "received"}:   # inbound only
            assert translate(lang, f"sms_state.{state}")
