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


def test_a_clerks_sms_names_urgency_kind_title_deadline_code_and_how_to_reply():
    from datetime import UTC, datetime, timedelta

    from hub.domain.items import Item, ItemKind, Urgency
    from hub.domain.sms_text import issued_text

    at = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    order = Item(1, ItemKind.EMERGENCY_ORDER, Urgency.EXTRA_URGENT, "立即组织低洼地区群众转移", "", "", "", "", "",
                 None, "", 1, 1, at, at + timedelta(minutes=30), False, [], "4821", None)
    text = issued_text(order)
    assert text == "【协同】特急指令《立即组织低洼地区群众转移》，请于11-25 09:30前签收。回复1签收，或回复“签收 4821”。"
    assert segments(text) == 1
    long = Item(**{**order.__dict__, "title": "关于" + "进一步加强" * 30 + "的通知"})
    assert segments(issued_text(long)) <= 2 and "…" in issued_text(long)
