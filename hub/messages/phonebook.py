"""Messages of the phone book (通讯录) and the public services page (公共服务)."""

MESSAGES: dict[str, tuple[int, str, str]] = {
    "phonebook.bad_name": (400, "Please give a name of 1–{max} characters.", "请填写姓名（1–{max} 个字符）。"),
    "phonebook.bad_job": (400, "The job is longer than {max} characters.", "职务超过 {max} 个字符。"),
    "phonebook.bad_phone": (400, "The number in {field} is not a phone number (digits, + - ( ), 转 and an extension).",
                            "{field} 不是有效的电话号码（可含数字、+ - ( ) 和“转”分机号）。"),
    "phonebook.no_phone": (400, "Give at least one number: an office phone or a mobile.", "请至少填写办公电话或手机中的一项。"),
    "phonebook.too_many": (409, "A unit keeps at most {max} entries.", "每个单位最多 {max} 条通讯录记录。"),
    "phonebook.not_found": (404, "No such entry in your unit's phone book.", "本单位通讯录中没有这条记录。"),
    "services.bad_title": (400, "Please give a title of 1–{max} characters.", "请填写标题（1–{max} 个字符）。"),
    "services.bad_link": (400, "A link must be an http:// or https:// address (inside the network).",
                          "链接须为 http:// 或 https:// 开头的网址（专网内）。"),
    "services.bad_kind": (400, "Choose a link, a form to download, or a piece of reference information.",
                          "请选择：常用链接、表格下载或参考信息。"),
    "services.no_file": (400, "Choose the form's file.", "请选择要提供下载的表格文件。"),
    "services.no_text": (400, "Write the reference information.", "请填写参考信息的内容。"),
    "services.office_only": (409, "The government office keeps the public services page.", "公共服务页面由政府办公室维护。"),
    "services.too_long": (400, "The text is longer than {max} characters.", "内容超过 {max} 个字符。"),
    "services.not_found": (404, "No such entry on the public services page.", "公共服务中没有这一项。"),
}
