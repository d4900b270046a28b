"""Messages of circulation (传阅)."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "circulation.not_found": (404, "No such circulation, or you may not see it.", "传阅不存在或您无权查看。"),
    "circulation.step_not_found": (404, "Nothing to read here, or it is not yours.", "没有需要您阅知的传阅，或不属于您。"),
    "circulation.note_required": (400, "Please write why it is circulated (传阅说明).", "请填写传阅说明（为何传阅）。"),
    "circulation.nobody": (400, "Please choose at least one person to read it.", "请至少选择一位传阅人。"),
    "circulation.too_many": (400, "At most {limit} people per circulation.", "每次传阅最多 {limit} 人。"),
    "circulation.unknown_reader": (400, "A person chosen does not exist, is disabled, or is not of this unit "
                                        "or its offices.", "所选人员不存在、已停用，或不属于本单位及其下属机构。"),
    "circulation.to_self": (400, "You need not circulate it to yourself.", "无需传阅给自己。"),
    "circulation.all_pending": (409, "Everyone chosen has it to read already from another circulation: {names}.",
                                "所选人员均已有此文的传阅待阅：{names}。"),
    "circulation.not_yet": (409, "It is not your turn yet: the readers before you have not read it.",
                            "尚未轮到您阅：您之前的传阅人还未阅。"),
    "circulation.withdrawn": (409, "This circulation was withdrawn.", "此传阅已撤回。"),
    "circulation.all_read": (409, "Everyone has read it: nothing to withdraw or remind.",
                             "所有传阅人均已阅，无需撤回或提醒。"),
    "circulation.not_sender": (403, "Only its sender or the office may withdraw a circulation or remind its readers.",
                               "只有传阅发起人或办公室可以撤回传阅或提醒传阅人。"),
    "circulation.remind_limit": (429, "Its readers were reminded {limit} times today already; try again tomorrow.",
                                 "今天已提醒 {limit} 次，请明天再提醒。"),
    "circulation.comment_too_long": (400, "The comment is longer than {limit} characters.",
                                     "阅示意见超过 {limit} 个字符。"),
}
