"""Messages of the registers (收文登记簿, 发文登记簿): a wrong filter or sort, named."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "registers.bad_year": (400, "The year must be a number from {lowest} to {highest}, like 2026.",
                           "年份须为 {lowest}–{highest} 之间的数字，如 2026。"),
    "registers.bad_date": (400, "The date ({field}) must be given as YYYY-MM-DD, like 2026-03-01.",
                           "日期（{field}）格式应为 YYYY-MM-DD，如 2026-03-01。"),
    "registers.bad_range": (400, "The start date ({date_from}) is after the end date ({date_to}).",
                            "起始日期（{date_from}）晚于截止日期（{date_to}）。"),
    "registers.bad_urgency": (400, "Urgency is 特急, 加急 or 普通 (extra_urgent, urgent, ordinary).",
                              "紧急程度须为特急、加急或普通。"),
    "registers.bad_state": (400, "Unknown state for this register: {state}.", "本登记簿没有此状态：{state}。"),
    "registers.bad_sort": (400, "The register cannot be sorted by {sort}.", "登记簿不能按“{sort}”排序。"),
    "registers.bad_desc": (400, "The sort direction (desc) is 1 (descending) or 0 (ascending).",
                           "排序方向（desc）须为 1（降序）或 0（升序）。"),
    "registers.bad_unit": (400, "The unit must be chosen from the list.", "请从列表中选择单位。"),
    "registers.bad_page": (400, "The page must be a number from {lowest} on.", "页码须为不小于 {lowest} 的数字。"),
    "registers.words_too_long": (400, "The words to look for ({field}) are longer than {limit} characters.",
                                 "查找内容（{field}）超过 {limit} 个字符。"),
}
