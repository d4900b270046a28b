"""Messages of the circular (通报)."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "circular.not_found": (404, "No such circular, or you may not see it.", "该通报不存在或您无权查看。"),
    "circular.office_only": (409, "Circulars are kept by the government office (办公室): your unit has none.",
                             "通报由政府办公室编制发布，本单位无通报。"),
    "circular.no_office": (409, "There is no government office unit to keep circulars.",
                           "系统中没有政府办公室单位，无法编制通报。"),
    "circular.published": (409, "This circular is published already: it cannot be changed or published again.",
                           "该通报已发布，不能再修改或重复发布。"),
    "circular.publish_by_clerk": (409, "A circular goes out as the office's document: a clerk (公文收发员) of "
                                       "the office publishes it.", "通报以办公室名义发文，须由办公室公文收发员发布。"),
    "circular.bad_period": (400, "The period is wrong: give its first and last day (the last not before the "
                                 "first, at most {days} days), or a month like 2026-11.",
                            "统计时段有误：请填写起止日期（止日不早于起日，最长 {days} 天），或填写月份如 2026-11。"),
    "circular.bad_title": (400, "The title must be 1 to 200 characters.", "标题须为 1 至 200 个字符。"),
    "circular.intro_too_long": (400, "The introduction is longer than {limit} characters.",
                                "导语超过 {limit} 个字符。"),
    "circular.no_recipients": (409, "No unit has a clerk to receive the circular.", "没有可接收通报的单位（无公文收发员）。"),
}
