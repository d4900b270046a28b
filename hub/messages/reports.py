"""Messages of reports upward (信息报送): sending, receipts, answers (批复), adoption (采用)."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "report.unknown_kind": (400, "There is no kind of report called {kind}.", "没有“{kind}”这种报送类别。"),
    "report.title_required": (400, "Please give the report a title.", "请填写报送标题。"),
    "report.no_upper_unit": (400, "Your unit has no upper office to report to.", "本单位没有可报送的上级办公室。"),
    "report.not_upper_unit": (400, "Reports go up: choose one of your unit's upper units.",
                              "信息只能向上级单位报送，请选择本单位的上级单位。"),
    "report.not_found": (404, "No such report, or you may not see it.", "报送信息不存在或您无权查看。"),
    "report.already_adopted": (409, "This report has already been adopted.", "该信息已被采用。"),
    "report.not_a_request": (409, "Only a request (请示) takes an answer (批复).", "只有请示需要批复，该信息不是请示。"),
    "report.already_answered": (409, "This request has already been answered.", "该请示已经批复，不能再次批复。"),
    "report.answer_required": (400, "Please write the answer.", "请填写批复内容。"),
    "report.not_receiving_office": (409, "Only the office the report went up to adopts or answers it.",
                                    "只有接收报送的上级办公室可以采用或批复该信息。"),
    "report.not_answerer": (403, "The answer is written by the receiving office's clerks.",
                            "批复由收文单位的文书办理。"),
    "report.unknown_state": (400, "There is no report state called {state}.", "没有“{state}”这种状态。"),
    "report.file_not_found": (404, "No such file, or you may not see it.", "附件不存在或您无权查看。"),
}
