"""Errors a user can meet: one family, each with a code, an HTTP-ish status,
and a message in English and Chinese.

Raise `XietongError("auth.bad_credentials")` (with format parameters as keyword
arguments where the message has them). The web layer turns it into a page or
JSON with the status; the CLI prints the message. Add new codes to MESSAGES.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import hub.messages

# code -> (status, English, Chinese)
MESSAGES: dict[str, tuple[int, str, str]] = {
    "auth.required": (401, "Please log in first.", "请先登录。"),
    "auth.bad_credentials": (401, "Wrong account name or password.", "账号或密码错误。"),
    "auth.disabled": (403, "This account is disabled. Ask your unit administrator.",
                      "该账号已停用，请联系本单位系统管理员。"),
    "auth.throttled": (429, "Too many failed logins. Try again in {minutes_en}.",
                       "登录失败次数过多，请 {minutes} 分钟后再试。"),
    "auth.ip_not_allowed": (403, "Administrator accounts may not log in from this address ({ip}).",
                            "管理员账号不允许从该地址（{ip}）登录。"),
    "auth.session_expired": (401, "Your session has expired. Please log in again.",
                             "会话已过期，请重新登录。"),
    "auth.csrf": (403, "The form has expired or came from another site. Reload the page and try again.",
                  "表单已失效或来源不明，请刷新页面后重试。"),
    "auth.bad_token": (401, "Unknown or revoked access token.", "访问令牌无效或已注销。"),
    "auth.bad_origin": (403, "Request from a foreign origin refused.", "拒绝来自外部来源的请求。"),
    "perm.denied": (403, "You are not allowed to do this.", "您无权执行此操作。"),
    "not_found": (404, "Not found.", "未找到。"),
    "method_not_allowed": (405, "This address does not take that kind of request.", "该地址不支持此类请求。"),
    "user.not_found": (404, "No such user: {login}.", "用户不存在：{login}。"),
    "user.login_taken": (409, "The account name {login} is already taken.", "账号名 {login} 已被使用。"),
    "user.bad_login": (400, "Account names are 3–32 letters, digits, dot, dash or underscore.",
                       "账号名须为 3–32 位字母、数字、点、横线或下划线。"),
    "user.weak_password": (400, "The password must have at least {min} characters.",
                           "密码至少需要 {min} 个字符。"),
    "user.bad_name": (400, "Please give the person's name (1–40 characters).",
                      "请填写姓名（1–40 个字符）。"),
    "user.bad_role": (400, "Unknown role: {role}.", "未知角色：{role}。"),
    "user.no_role": (400, "Choose at least one role.", "请至少选择一个角色。"),
    "user.bad_phone": (400, "Phone numbers must be mainland mobile numbers like 13800138000 or +8613800138000.",
                       "手机号格式不正确，应为 13800138000 或 +8613800138000 这样的大陆手机号。"),
    "user.bad_ip_rule": (400, "Not an IP address or range: {rule}.", "不是有效的 IP 地址或地址段：{rule}。"),
    "user.self_disable": (400, "You cannot disable your own account.", "不能停用自己的账号。"),
    "unit.not_found": (404, "No such unit.", "单位不存在。"),
    "unit.code_taken": (409, "The unit code {code} is already taken.", "单位代码 {code} 已被使用。"),
    "unit.bad_code": (400, "Unit codes are 2–16 capital letters or digits.", "单位代码须为 2–16 位大写字母或数字。"),
    "unit.bad_name": (400, "Please give the unit's name (1–60 characters).", "请填写单位名称（1–60 个字符）。"),
    "item.classified": (400, "This network carries non-classified material only; the mark “{mark}” was "
                             "found. Nothing was stored.",
                        "本网仅传输非涉密信息，检测到密级标识“{mark}”，未予保存。"),
    "item.bad_title": (400, "Please give a title (1–200 characters).", "请填写标题（1–200 个字符）。"),
    "item.body_too_long": (400, "The text is too long (at most 100,000 characters).", "正文过长（最多 100000 字）。"),
    "item.no_recipients": (400, "Choose at least one main recipient unit.", "请至少选择一个主送单位。"),
    "item.recipient_twice": (400, "A unit cannot be both a main and a copied recipient.",
                             "同一单位不能既是主送又是抄送。"),
    "item.bad_recipient": (400, "Unknown recipient unit.", "收件单位不存在。"),
    "item.recipient_repeated": (400, "A recipient unit is named twice.", "收件单位重复。"),
    "item.attachments_too_large": (413, "Attachments may total at most {limit_mb} MB; these are {size_mb} MB. "
                                        "Nothing was stored.",
                                   "附件合计不得超过 {limit_mb} MB，当前为 {size_mb} MB，未予保存。"),
    "item.bad_attachment_name": (400, "An attachment has no usable file name.", "附件文件名无效。"),
    "item.bad_doc_number": (400, "A document number looks like 示政办发〔2026〕56号 (no leading zeros, no 第).",
                            "发文字号格式应为“示政办发〔2026〕56号”（不编虚位，不加“第”）。"),
    "item.bad_doc_kind": (400, "Unknown kind of document (文种).", "文种不正确。"),
    "item.meeting_needs_time_and_place": (400, "A meeting notice needs the meeting's time and place.",
                                          "会议通知须填写会议时间和地点。"),
    "item.meeting_in_past": (400, "The meeting's time has already passed.", "会议时间已过。"),
    "item.bad_kind": (400, "Unknown kind of item or urgency.", "事项类型或紧急程度不正确。"),
    "item.not_found": (404, "No such item, or you may not see it.", "事项不存在或您无权查看。"),
    "chase.not_sender": (409, "Only the unit that sent this item can remind its recipients.",
                         "只有发文单位才能提醒未签收单位。"),
    "chase.none_open": (409, "Every unit has already answered (signed for or returned it): nobody to remind.",
                        "所有单位均已签收或退回，无需提醒。"),
    "chase.too_soon": (409, "The units were reminded a moment ago; remind them again in {minutes} min.",
                       "刚刚已提醒，请 {minutes} 分钟后再提醒。"),
    "group.bad_name": (400, "Please give the group a name (1–40 characters).", "请填写单位组名称（1–40 个字符）。"),
    "group.no_units": (400, "Choose the units of the group first.", "请先选择该组包含的单位。"),
    "group.exists": (409, "You already have a group of that name.", "已有同名的单位组。"),
    "group.too_many": (409, "You can keep at most {max} groups; delete one first.",
                       "最多保存 {max} 个单位组，请先删除不用的。"),
    "group.not_found": (404, "No such group.", "单位组不存在。"),
    "delivery.already_acked": (409, "This item was already signed for{by_en}.", "该事项已{by_zh}签收。"),
    "delivery.closed": (409, "This item can no longer be signed for ({state}).", "该事项已无法签收（{state}）。"),
    "delivery.reason_required": (400, "Please give a reason.", "请填写理由。"),
    "delivery.bad_assignee": (400, "Choose a clerk of the receiving unit.", "请选择收件单位的公文收发员。"),
    "duty.shift_taken": (409, "Someone is on shift already: the shift is handed over to you (交班), then you "
                              "confirm it.", "已有值班员在岗：请由其交班后再接班。"),
    "duty.not_on_shift": (409, "Only the duty officer on shift can hand the shift over.",
                          "只有当班值班员才能交班。"),
    "duty.handover_open": (409, "A handover is already waiting to be confirmed; take it back first.",
                           "已有一个交班等待接班确认，请先撤回。"),
    "duty.handover_bad_officer": (400, "Hand the shift over to another duty officer.", "请选择另一位值班员接班。"),
    "duty.handover_to_self": (400, "You cannot hand the shift over to yourself.", "不能交班给自己。"),
    "duty.handover_note_required": (400, "Please write a handover note: what is still open, who was called.",
                                    "请填写交班说明：尚未办结的事项、已联系的人员等。"),
    "duty.no_open_handover": (409, "There is no handover waiting to be confirmed.", "没有等待确认的交班。"),
    "duty.handover_own": (403, "You cannot confirm your own handover; the next officer confirms it.",
                          "不能确认自己发起的交班，应由接班人确认。"),
    "duty.handover_not_yours": (403, "This handover is addressed to another officer.", "该交班不是交给您的。"),
    "duty.entry_text_required": (400, "Please write what happened.", "请填写记录内容。"),
    "duty.text_too_long": (400, "The text is too long (at most {limit} characters).", "内容过长（最多 {limit} 字）。"),
    "duty.entry_not_found": (404, "No such duty log entry.", "值班日志记录不存在。"),
    "duty.shift_not_found": (404, "No such shift.", "该班次不存在。"),
    "sms.bad_signature": (403, "The webhook's signature is missing or wrong.", "回调签名缺失或不正确。"),
    "document.bad_state": (409, "This step ({op}) is not possible while the document is {state}.",
                           "公文当前状态（{state}）下不能进行此操作（{op}）。"),
    "document.not_found": (404, "No such document, or you may not see it.", "公文不存在或您无权查看。"),
    "document.comment_required": (400, "Please write a comment.", "请填写意见。"),
    "document.no_doc_code": (400, "The unit has no document code (机关代字) yet; ask the super admin.",
                             "本单位尚未设置机关代字，请联系超级系统管理员。"),
    "input.invalid": (400, "Invalid input: {field}.", "输入有误：{field}。"),
    "db.too_new": (500, "The database (schema {found}) is newer than this program (schema {known}). "
                        "Upgrade Xietong before starting it on this database.",
                   "数据库版本（{found}）高于本程序支持的版本（{known}），请先升级协同系统。"),
    "db.not_initialised": (500, "No database at {path}. Run `xietong init` or `xietong demo` first.",
                           "{path} 处没有数据库，请先运行 `xietong init` 或 `xietong demo`。"),
    "db.backup_pg_dump": (400, "A PostgreSQL store is backed up with pg_dump, not `xietong backup` ({path}).",
                          "PostgreSQL 数据库请用 pg_dump 备份，而不是 `xietong backup`（{path}）。"),
    "internal": (500, "Something went wrong on our side. The error was logged.",
                 "系统内部错误，已记录。"),
    "otp.not_enrolled": (409, "You have not set up one-time codes yet: open “One-time codes” on the "
                              "home page first.",
                         "您尚未设置动态口令，请先在首页打开“动态口令”完成设置。"),
    "otp.wrong": (400, "The one-time code is wrong or has expired. Check that your phone's time is "
                       "right and enter the code it shows now.",
                  "动态口令错误或已过期，请核对手机时间后输入当前显示的口令。"),
    "otp.reused": (409, "This one-time code has already been used. Wait for the next code (at most 30 "
                        "seconds) and enter that.",
                   "该动态口令已使用过，请等待下一个口令（最多 30 秒）后输入。"),
    "otp.throttled": (429, "Too many wrong one-time codes. Try again in {minutes_en}.",
                      "动态口令错误次数过多，请 {minutes} 分钟后再试。"),
    "otp.already_enrolled": (409, "One-time codes are already set up for this account. To set them up "
                                  "again (e.g. a new phone), ask your unit administrator to reset them.",
                             "该账号已设置动态口令。如需重新设置（例如更换手机），请联系本单位系统管理员重置。"),
    "otp.no_pending": (409, "Start setting up one-time codes first.", "请先开始设置动态口令。"),
    "otp.bad_key": (500, "The key that protects one-time code secrets ({source}) is not base64 of 32 "
                         "bytes.",
                    "保护动态口令密钥的主密钥（{source}）格式错误，应为 32 字节的 base64 编码。"),
    "otp.unreadable": (500, "This account's one-time code secret cannot be decrypted with the configured "
                            "key. Ask your unit administrator to reset your one-time codes.",
                       "无法用当前配置的主密钥解密该账号的动态口令密钥，请联系本单位系统管理员重置动态口令。"),
    # electronic seals (电子印章)
    "seal.not_found": (404, "No such seal, or you may not see it.", "印章不存在或您无权查看。"),
    "seal.bad_state": (409, "This seal cannot be changed this way ({event}) while it is {state}.",
                       "印章当前状态（{state_zh}）下不能{event_zh}。"),
    "seal.not_active": (409, "This seal is not in use yet: its keeper must first set the seal password.",
                        "该印章尚未启用：须由保管人先设置印章密码。"),
    "seal.suspended": (409, "This seal is suspended: it cannot stamp until the seal authority resumes it.",
                       "该印章已停用，恢复前不能用印。"),
    "seal.replaced": (409, "This seal has been replaced by a new seal: stamp with the new one.",
                      "该印章已更换，请使用新印章用印。"),
    "seal.revoked": (409, "This seal was revoked on {date} and can never stamp again.",
                     "该印章已于 {date} 注销，不能再用印。"),
    "seal.expired": (409, "This seal's validity ended on {date}: ask the seal authority for a replacement.",
                     "该印章有效期已于 {date} 届满，请向印章制作单位申请更换。"),
    "seal.not_yet_valid": (409, "This seal is valid only from {date}.", "该印章自 {date} 起方可使用。"),
    "seal.wrong_password": (400, "Wrong seal password.", "印章密码错误。"),
    "seal.password_throttled": (429, "Too many wrong passwords for this seal. Try again in {minutes_en}.",
                                "该印章密码错误次数过多，请 {minutes} 分钟后再试。"),
    "seal.old_password_required": (400, "To change the seal password, give the current one.",
                                   "修改印章密码须输入原密码。"),
    "seal.bad_kind": (400, "Unknown kind of seal.", "印章类型不正确。"),
    "seal.bad_name": (400, "Please give the seal's name (1–40 characters).", "请填写印章名称（1–40 个字符）。"),
    "seal.bad_validity": (400, "A seal is valid for 1 to {max} days.", "印章有效期须为 1 至 {max} 天。"),
    "seal.reason_required": (400, "Please give the reason; it is registered with the change.",
                             "请填写理由，该理由将随变更一并登记。"),
    "seal.wrong_unit": (409, "This seal belongs to another unit than the document.",
                        "该印章不属于发文单位。"),
    "seal.request_not_found": (404, "No such seal-use request, or you may not see it.",
                               "用印申请不存在或您无权查看。"),
    "seal.request_bad_state": (409, "This seal-use request is {state}.", "该用印申请当前状态为：{state_zh}。"),
    "seal.request_exists": (409, "A seal-use request for this document and seal is already open.",
                            "该公文已有使用此印章的用印申请在办理中。"),
    "seal.not_stamped": (409, "This document has not been stamped with an electronic seal.",
                         "该公文尚未加盖电子印章。"),
    "seal.no_authority": (409, "There is no seal authority yet: run `xietong seals init-authority` first.",
                          "尚未建立印章制作单位，请先运行 `xietong seals init-authority`。"),
    "seal.authority_exists": (409, "The seal authority already exists.", "印章制作单位已建立。"),
    "seal.authority_locked": (503, "The seal authority's key is locked: set seals.authority_passphrase_file "
                                   "or XIETONG_SEALS_AUTHORITY_PASSPHRASE and restart.",
                              "印章制作单位密钥未解锁：请配置 seals.authority_passphrase_file 或 "
                              "XIETONG_SEALS_AUTHORITY_PASSPHRASE 后重启。"),
    "seal.bad_passphrase": (403, "Wrong passphrase for the seal authority's key.", "印章制作单位密钥口令错误。"),
    "document.seal_by_stamping": (409, "A document is sealed by stamping it with the unit's electronic seal, "
                                       "under an approved seal-use request.",
                                  "公文用印须经用印审批，以本单位电子印章盖章。"),
}


def _merge_concept_messages() -> None:
    """Add the messages of `hub.messages.<concept>`; a code given twice stops the import."""
    for info in pkgutil.iter_modules(hub.messages.__path__):
        module = importlib.import_module(f"hub.messages.{info.name}")
        twice = MESSAGES.keys() & module.MESSAGES.keys()
        if twice:
            raise KeyError(f"error codes given twice: {sorted(twice)}")
        MESSAGES.update(module.MESSAGES)


_merge_concept_messages()


class XietongError(Exception):
    """An error a user can meet. `code` keys MESSAGES."""

    def __init__(self, code: str, /, **params: Any) -> None:  # "/": a message may have {code}
        if code not in MESSAGES:
            raise KeyError(f"unknown error code {code!r}")
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    @property
    def status(self) -> int:
        return MESSAGES[self.code][0]

    @property
    def retry_after_seconds(self) -> int | None:
        """For a refusal "try again in N minutes" (429): N minutes, for the Retry-After header."""
        minutes = self.params.get("minutes")
        return minutes * 60 if self.status == 429 and isinstance(minutes, int) else None

    def message(self, lang: str) -> str:
        _, en, zh = MESSAGES[self.code]
        template = en if lang.startswith("en") else zh
        params = dict(self.params)
        if isinstance(params.get("minutes"), int):     # "1 minute", "2 minutes"
            params.setdefault("minutes_en", f"{params['minutes']} minute" + ("" if params["minutes"] == 1 else "s"))
        return template.format(**params)

    def as_json(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message(lang),
            "message_en": self.message("en"),
            "message_zh": self.message("zh"),
        }
