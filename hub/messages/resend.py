"""Messages of returning a signed-for delivery (退文 at 初审) and the sender's re-send."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "resend.not_signed_for": (409, "Only a document the unit signed for can be returned at review (it is {state}).",
                              "只有已签收的公文才能在初审时退文（当前状态：{state}）。"),
    "resend.not_returned": (409, "Only a delivery the unit returned can be corrected and sent again (it is {state}).",
                            "只有被退回的公文才能修改后重新发送（当前状态：{state}）。"),
    "resend.not_sender": (409, "Only the unit that sent this item can correct it and send it again.",
                          "只有发文单位才能修改后重新发送。"),
    "resend.withdrawn": (409, "This item was withdrawn: it cannot be sent again.", "该事项已撤销，不能重新发送。"),
    "resend.note_required": (400, "Please say what you corrected before sending it again.",
                             "请填写修改说明（更正了什么）后再重新发送。"),
    "resend.note_too_long": (400, "The note is longer than {limit} characters.", "修改说明超过 {limit} 个字符。"),
    "resend.meeting_over": (409, "The meeting has begun already: send a new notice instead.",
                            "会议时间已到，不能重新发送，请另发新通知。"),
    "resend.bad_replaced": (400, "The file to replace is not one of this item's attachments.",
                            "要替换的文件不是本事项的附件。"),
}
