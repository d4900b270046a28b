"""Messages of reports upward (信息报送): sending, receipts, answers (批复), adoption (采用)."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "report.unknown_kind": (400, "There is no kind of report called {kind}.", "没有“{kind}”这种报送类别。"),
    "report.title_required": (400, "Please give the report a title.", "请填写报送标题。"),
}
