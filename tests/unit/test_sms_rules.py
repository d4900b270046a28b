import pytest

from hub.domain.sms import digest_text, moves_forward, parse_reply
from hub.domain.sms_text import segments


@pytest.mark.parametrize("body", ["1", "y", "Y", "收到", "签收", "ACK", "ack", " 签收。", "１", "ＡＣＫ"])
def test_a_bare_yes_signs_for_the_latest_item(body):
    assert parse_reply(body).kind == "ack_latest"


@pytest.mark.parametrize("body,code", [("ACK 4821", "4821"), ("签收 4821", "4821"), ("签收4821", "4821"),
                                       ("ack:4821", "4821"), ("签收：４８２１", "4821")])
def test_a_yes_with_a_code_signs_for_that_item(body, code):
    reply = parse_reply(body)
    assert reply.kind == "ack_code" and reply.code == code


@pytest.mark.parametrize("body", ["好的", "明天再说", "ACK please", "2", "签收 12"])
def test_anything_else_gets_help(body):
    assert parse_reply(body).kind == "help"


def test_delivery_states_never_move_backward_and_final_states_stay():
    assert moves_forward("queued", "sent") and moves_forward("sent", "delivered")
    assert not moves_forward("delivered", "sent")          # a late callback
    assert not moves_forward("sent", "sent")               # a repeated one
    assert not moves_forward("failed", "delivered")
    assert moves_forward("sent", "undelivered")


def test_a_digest_names_each_notice_and_stays_within_three_segments():
    lines = [f"特急公文《关于做好第{i}项工作的紧急通知》(编号{1000 + i})" for i in range(8)]
    text = digest_text(lines)
    assert text.startswith("【协同】您有8条新通知：1.特急公文") and segments(text) <= 3
    assert "等8条" in text
    assert digest_text(lines[:2]).count("《") == 2
