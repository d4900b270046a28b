"""Messages of chasing (催办) and supervision (督办) on the office roads."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "chase.step_not_found": (404, "No such step, or you may not see it.", "该办理环节不存在或您无权查看。"),
    "chase.step_closed": (409, "This step is done or ended already: there is nothing to chase.",
                          "该环节已办理或已结束，无需催办。"),
    "chase.step_waiting": (409, "This reader's turn has not come yet (an ordered circulation): nothing to chase.",
                           "按顺序传阅，尚未轮到该人员阅读，无需催办。"),
    "chase.limit": (429, "This step was chased {limit} times today already; chase it again from midnight "
                         "(in {minutes_en}).", "该环节今天已催办 {limit} 次，请于明天零点后（{minutes} 分钟后）再催。"),
    "chase.note_too_long": (400, "The chase's note is longer than {limit} characters.",
                            "催办附言超过 {limit} 个字符。"),
    "supervision.record_closed": (409, "The document is closed or returned: it cannot be supervised.",
                                  "该公文已办结或已退文，不能督办。"),
    "supervision.already": (409, "The document is under supervision already.", "该公文已在督办中。"),
    "supervision.bad_interval": (400, "Report every 1 to {limit} days.", "报告周期须为 1 至 {limit} 天。"),
    "supervision.note_required": (400, "Please say what the supervision asks for.", "请填写督办要求。"),
    "supervision.not_supervised": (409, "The document is not under supervision.", "该公文未在督办中。"),
    "supervision.report_required": (400, "Please write the progress report.", "请填写办理进展。"),
}
