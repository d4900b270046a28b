"""Messages of reports upward (信息报送): sending, receipts, answers (批复), adoption (采用)."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "report.unknown_kind": (400, "There is no kind of report called {kind}.", "没有“{kind}”这种报送类别。"),
    "report.title_required": (400, "Please give the report a title.", "请填写报送标题。"),
    "report.no_upper_unit": (400, "Your unit has no upper office to report to.", "本单位没有可报送的上级办公室。"),
    "report.not_upper_unit": (400, "Reports go up: choose one of your unit's upper units.",
                              "信息只能向上级单位报送，请选择本单位的上级单位。"),
    "report.not_found": (404, "No such report, or you may not see it.", "报送信息不存在或您无权查看。"),
    "report.already_adopted": (409, "This report has already been adopted.", "该信息已被采用。"),
}
