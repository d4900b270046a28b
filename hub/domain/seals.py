"""Electronic seals (电子印章): their life and the rules of using one, as pure functions.

A seal is made (制作) by the seal authority, becomes active when its keeper
sets the seal password, may be suspended (停用) and resumed (恢复), replaced
(更换) by a new seal, revoked (注销) from any state, and once revoked destroyed
(销毁: its key material wiped, its record kept). Each change is registered with
who, when and why. Stamping (用印) a document needs an approved seal-use request
(用印申请) and an active seal within its validity.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum

from hub.domain.calendar import CST
from hub.errors import XietongError


class SealState(StrEnum):
    MADE = "made"              # 已制作（待启用：保管人尚未设置印章密码）
    ACTIVE = "active"          # 启用
    SUSPENDED = "suspended"    # 停用
    REPLACED = "replaced"      # 已更换
    REVOKED = "revoked"        # 已注销
    DESTROYED = "destroyed"    # 已销毁


class SealEvent(StrEnum):
    MAKE = "make"              # 制作
    ACTIVATE = "activate"      # the keeper sets the first seal password
    SUSPEND = "suspend"        # 停用
    RESUME = "resume"          # 恢复
    REPLACE = "replace"        # 更换
    REVOKE = "revoke"          # 注销
    DESTROY = "destroy"        # 销毁


class SealKind(StrEnum):
    OFFICIAL = "official"      # 法定名称章 (the unit's official seal)
    INTERNAL = "internal"      # 内设机构章
    BUSINESS = "business"      # 业务专用章
    PERSONAL = "personal"      # 个人名章


KIND_LABELS = {SealKind.OFFICIAL: "法定名称章", SealKind.INTERNAL: "内设机构章",
               SealKind.BUSINESS: "业务专用章", SealKind.PERSONAL: "个人名章"}
STATE_LABELS = {SealState.MADE: "待启用", SealState.ACTIVE: "启用", SealState.SUSPENDED: "停用",
                SealState.REPLACED: "已更换", SealState.REVOKED: "已注销", SealState.DESTROYED: "已销毁"}
EVENT_LABELS = {SealEvent.MAKE: "制作", SealEvent.ACTIVATE: "启用", SealEvent.SUSPEND: "停用",
                SealEvent.RESUME: "恢复", SealEvent.REPLACE: "更换", SealEvent.REVOKE: "注销",
                SealEvent.DESTROY: "销毁"}

_ALIVE = frozenset({SealState.MADE, SealState.ACTIVE, SealState.SUSPENDED, SealState.REPLACED})

# event -> (states it may happen in, the state after)
TRANSITIONS: dict[SealEvent, tuple[frozenset[SealState], SealState]] = {
    SealEvent.ACTIVATE: (frozenset({SealState.MADE}), SealState.ACTIVE),
    SealEvent.SUSPEND: (frozenset({SealState.ACTIVE}), SealState.SUSPENDED),
    SealEvent.RESUME: (frozenset({SealState.SUSPENDED}), SealState.ACTIVE),
    SealEvent.REPLACE: (frozenset({SealState.ACTIVE}), SealState.REPLACED),
    SealEvent.REVOKE: (_ALIVE, SealState.REVOKED),
    SealEvent.DESTROY: (frozenset({SealState.REVOKED}), SealState.DESTROYED),
}

# how a certificate no longer usable is listed on the revocation list (a suspension is not listed:
# it is a pause at the hub, and stamping refuses a suspended seal)
CRL_REASON = {SealEvent.REPLACE: "superseded", SealEvent.REVOKE: "cessation_of_operation"}

MAX_VALID_DAYS = 365 * 10


def transition(state: SealState, event: SealEvent) -> SealState:
    """The state after `event`, or a clear refusal."""
    allowed, after = TRANSITIONS[event]
    if state not in allowed:
        raise XietongError("seal.bad_state", event=event.value, event_zh=EVENT_LABELS[event],
                           state=state.value, state_zh=STATE_LABELS[state])
    return after


def revocation_time(now: datetime) -> datetime:
    """Revocation counts from the next whole second: revocation lists and signing times carry
    seconds, and a stamping made in the same second, before the revocation, must stay valid."""
    return now.replace(microsecond=0) + timedelta(seconds=1)


def _day(when: datetime) -> str:
    return when.astimezone(CST).date().isoformat()


def check_usable(state: SealState, not_before: datetime, not_after: datetime, now: datetime,
                 revoked_at: datetime | None = None) -> None:
    """May this seal stamp now? Else the reason, in the keeper's words."""
    if state is SealState.MADE:
        raise XietongError("seal.not_active")
    if state is SealState.SUSPENDED:
        raise XietongError("seal.suspended")
    if state is SealState.REPLACED:
        raise XietongError("seal.replaced")
    if state in (SealState.REVOKED, SealState.DESTROYED):
        raise XietongError("seal.revoked", date=_day(revoked_at or now))
    if now < not_before:
        raise XietongError("seal.not_yet_valid", date=_day(not_before))
    if now > not_after:                                # X.509: valid through notAfter
        raise XietongError("seal.expired", date=_day(not_after))


def check_kind(kind: str) -> SealKind:
    try:
        return SealKind(kind)
    except ValueError:
        raise XietongError("seal.bad_kind") from None


def check_seal_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 40:
        raise XietongError("seal.bad_name")
    return name


def check_valid_days(days: int) -> int:
    if not 1 <= days <= MAX_VALID_DAYS:
        raise XietongError("seal.bad_validity", max=MAX_VALID_DAYS)
    return days


def check_reason(reason: str) -> str:
    reason = reason.strip()[:500]
    if not reason:
        raise XietongError("seal.reason_required")
    return reason


def throttled_minutes(failures: list[datetime], now: datetime, window: timedelta, limit: int) -> int | None:
    """Minutes until another password may be tried, or None when not throttled.

    `failures` are the wrong passwords within the window, oldest first; refused until enough of
    them have left the window to bring the count below the limit.
    """
    if len(failures) < limit:
        return None
    free_at = failures[len(failures) - limit] + window
    return max(1, math.ceil((free_at - now).total_seconds() / 60))


class UseState(StrEnum):
    PENDING = "pending"        # 待审批
    APPROVED = "approved"      # 已批准，待用印
    USED = "used"              # 已用印


USE_LABELS = {UseState.PENDING: "待审批", UseState.APPROVED: "已批准", UseState.USED: "已用印"}


def check_use_state(state: UseState, wanted: UseState) -> None:
    if state is not wanted:
        raise XietongError("seal.request_bad_state", state=state.value, state_zh=USE_LABELS[state])

