"""The one permission rule. Every read and write asks `can()`.

A rule says, per action, which roles may do it and over which units: `ANY`
(every unit) or `OWN` (the actor's own unit only). The policy is data, so the
permission matrix test can walk it and the routes declare which action they
need. Later features add actions here, never checks elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from hub.domain.identity import Actor, Role
from hub.errors import XietongError


class Action(StrEnum):
    VIEW_HOME = "view_home"            # see one's own home page and profile
    VIEW_USERS = "view_users"          # list the people of a unit
    MANAGE_USERS = "manage_users"      # add, edit, disable, reset passwords
    VIEW_UNITS = "view_units"          # the unit tree and phone book
    MANAGE_UNITS = "manage_units"      # create and edit units
    VIEW_AUDIT = "view_audit"          # read the audit log
    ISSUE_ITEM = "issue_item"          # issue an urgent item from one's unit
    VIEW_ITEM = "view_item"            # see an item the unit sent or received
    HANDLE_DELIVERY = "handle_delivery"  # open, sign for (签收) or return (退回) for one's unit
    DUTY_DESK = "duty_desk"            # the duty desk's board and actions on a unit's behalf
    VIEW_STATS = "view_stats"          # per-unit statistics for the office's circular (通报)
    VIEW_SMS = "view_sms"              # the SMS sent through the gateway, with their states
    DRAFT_DOCUMENT = "draft_document"  # draft an outgoing document (拟稿) for one's unit
    HANDLE_OUTGOING = "handle_outgoing"  # the office: review, recheck, register, dispatch, withdraw
    SIGN_DOCUMENT = "sign_document"    # 签发 an outgoing document, and instruct (批示) on incoming ones
    SEAL_DOCUMENT = "seal_document"    # 用印 an outgoing document of one's unit
    ENROL_OTP = "enrol_otp"            # set up one's own one-time codes (动态口令) to confirm approvals
    MANAGE_SEALS = "manage_seals"      # the seal authority: make, suspend, resume, replace, revoke, destroy seals
    USE_SEAL = "use_seal"              # keep one's unit's seals and stamp (用印) under an approved request
    APPROVE_SEAL_USE = "approve_seal_use"  # approve a seal-use request (用印审批) of one's unit
    VIEW_INCOMING = "view_incoming"    # the unit's received documents (收文) and its registers (登记簿)
    REGISTER_INCOMING = "register_incoming"  # register (登记) a received document, set the unit's road settings
    SUPERVISE = "supervise"            # put a received document under supervision (督办), chase by hand (催办)
    MANAGE_MEETINGS = "manage_meetings"  # call, change, postpone, cancel a meeting of one's unit; its lists, sign-in
    SEND_REPORT = "send_report"        # send a report up (信息报送: 工作动态, 简报, 请示, 报告, 汇报, 专题文件)
    RECEIVE_REPORTS = "receive_reports"  # the receiving office: see, adopt (采用) and answer (批复) reports
    MANAGE_CIRCULAR = "manage_circular"  # generate, review and publish the office's circular (通报)
    REQUEST_DELEGATION = "request_delegation"  # ask for a delegate (代理) for a period away
    APPROVE_DELEGATION = "approve_delegation"  # approve or refuse a delegation of one's unit's staff (unit admin)
    APPROVE_ADMIN_DELEGATION = "approve_admin_delegation"  # a unit admin's, or one of a unit without a unit admin
    VIEW_DELEGATIONS = "view_delegations"  # a unit's delegation register (代理登记簿)
    VIEW_CABINET = "view_cabinet"      # browse one's unit's file cabinet (文件柜) and search what is filed
    KEEP_CABINET = "keep_cabinet"      # keep one's unit's cabinet: drawers, folders, filing, the recycle bin
    KEEP_PHONEBOOK = "keep_phonebook"  # keep one's unit's phone book entries (通讯录) and its duty phone
    KEEP_SERVICES = "keep_services"    # keep the public services page (公共服务): the office's clerks


class Scope(StrEnum):
    ANY = "any"
    OWN = "own"


ALL_ROLES = tuple(Role)

POLICY: dict[Action, dict[Role, Scope]] = {
    Action.VIEW_HOME: {r: Scope.ANY for r in ALL_ROLES},
    Action.VIEW_UNITS: {r: Scope.ANY for r in ALL_ROLES},
    Action.VIEW_USERS: {Role.SUPER_ADMIN: Scope.ANY, Role.UNIT_ADMIN: Scope.OWN},
    Action.MANAGE_USERS: {Role.SUPER_ADMIN: Scope.ANY, Role.UNIT_ADMIN: Scope.OWN},
    Action.MANAGE_UNITS: {Role.SUPER_ADMIN: Scope.ANY},
    Action.VIEW_AUDIT: {Role.SUPER_ADMIN: Scope.ANY},
    Action.ISSUE_ITEM: {Role.CLERK: Scope.OWN, Role.LEADER: Scope.OWN},
    Action.VIEW_ITEM: {**{r: Scope.OWN for r in ALL_ROLES}, Role.DUTY_DESK: Scope.ANY},
    Action.HANDLE_DELIVERY: {Role.CLERK: Scope.OWN, Role.LEADER: Scope.OWN},
    Action.DUTY_DESK: {Role.DUTY_DESK: Scope.ANY},
    Action.VIEW_STATS: {Role.SUPER_ADMIN: Scope.ANY, Role.DUTY_DESK: Scope.ANY, Role.LEADER: Scope.OWN},
    Action.VIEW_SMS: {Role.SUPER_ADMIN: Scope.ANY},
    Action.DRAFT_DOCUMENT: {Role.CLERK: Scope.OWN, Role.LEADER: Scope.OWN, Role.USER: Scope.OWN},
    Action.HANDLE_OUTGOING: {Role.CLERK: Scope.OWN},
    Action.SIGN_DOCUMENT: {Role.LEADER: Scope.OWN},
    Action.SEAL_DOCUMENT: {Role.SEAL_KEEPER: Scope.OWN},
    Action.ENROL_OTP: {Role.LEADER: Scope.OWN, Role.SEAL_KEEPER: Scope.OWN},
    Action.MANAGE_SEALS: {Role.SUPER_ADMIN: Scope.ANY},
    Action.USE_SEAL: {Role.SEAL_KEEPER: Scope.OWN},
    Action.APPROVE_SEAL_USE: {Role.LEADER: Scope.OWN},
    Action.VIEW_INCOMING: {Role.CLERK: Scope.OWN, Role.LEADER: Scope.OWN},
    Action.REGISTER_INCOMING: {Role.CLERK: Scope.OWN},
    Action.SUPERVISE: {Role.CLERK: Scope.OWN, Role.LEADER: Scope.OWN},
    Action.MANAGE_MEETINGS: {Role.CLERK: Scope.OWN, Role.LEADER: Scope.OWN},
    Action.SEND_REPORT: {Role.CLERK: Scope.OWN, Role.LEADER: Scope.OWN},
    Action.RECEIVE_REPORTS: {Role.CLERK: Scope.OWN, Role.LEADER: Scope.OWN},
    Action.MANAGE_CIRCULAR: {Role.SUPER_ADMIN: Scope.ANY, Role.CLERK: Scope.OWN},
    Action.REQUEST_DELEGATION: {r: Scope.OWN for r in ALL_ROLES if r is not Role.SUPER_ADMIN},
    Action.APPROVE_DELEGATION: {Role.UNIT_ADMIN: Scope.OWN},
    Action.APPROVE_ADMIN_DELEGATION: {Role.SUPER_ADMIN: Scope.ANY},
    Action.VIEW_DELEGATIONS: {Role.SUPER_ADMIN: Scope.ANY, Role.UNIT_ADMIN: Scope.OWN},
    Action.VIEW_CABINET: {r: Scope.OWN for r in ALL_ROLES},
    Action.KEEP_CABINET: {Role.CLERK: Scope.OWN, Role.LEADER: Scope.OWN, Role.UNIT_ADMIN: Scope.OWN},
    Action.KEEP_PHONEBOOK: {Role.SUPER_ADMIN: Scope.ANY, Role.UNIT_ADMIN: Scope.OWN},
    Action.KEEP_SERVICES: {Role.SUPER_ADMIN: Scope.ANY, Role.CLERK: Scope.OWN},
}


# Never done for another under a delegation (代理): administration, the logs, one's own codes and
# delegations themselves. Everything else a delegate may do exactly as the principal may.
UNDELEGABLE: frozenset[Action] = frozenset({
    Action.VIEW_USERS, Action.MANAGE_USERS, Action.MANAGE_UNITS, Action.VIEW_AUDIT, Action.VIEW_SMS,
    Action.ENROL_OTP, Action.MANAGE_SEALS, Action.REQUEST_DELEGATION, Action.APPROVE_DELEGATION,
    Action.APPROVE_ADMIN_DELEGATION, Action.VIEW_DELEGATIONS, Action.KEEP_PHONEBOOK,
})


def can(actor: Actor, action: Action, units: int | Iterable[int] | None = None) -> bool:
    """May `actor` do `action` concerning `units` (one unit, several, or none given)?

    With several units (an item's sender and recipients), an `OWN` grant needs
    the actor's unit to be among them. With none given, the question is
    whether the actor may do the action anywhere at all (e.g. show a menu).
    An actor a delegate acts for (`actor.by`) may do nothing unless the
    delegation is approved and current at the time it was checked, and never
    an `UNDELEGABLE` action (未经许可，不得由他人代理收发工作).
    """
    if actor.by is not None and (action in UNDELEGABLE or not actor.by.current):
        return False
    grants = POLICY.get(action, {})
    scopes = {grants[r] for r in actor.roles if r in grants}
    if not scopes:
        return False
    if Scope.ANY in scopes or units is None:
        return True
    unit_set = {units} if isinstance(units, int) else set(units)
    return actor.unit_id in unit_set


def require(actor: Actor, action: Action, units: int | Iterable[int] | None = None) -> None:
    if not can(actor, action, units):
        raise XietongError("perm.denied")


def grantable_roles(actor: Actor) -> frozenset[Role]:
    """Roles this actor may give to others: only the super admin makes admins."""
    if actor.has(Role.SUPER_ADMIN):
        return frozenset(Role)
    if actor.has(Role.UNIT_ADMIN):
        return frozenset(Role) - {Role.SUPER_ADMIN, Role.UNIT_ADMIN, Role.DUTY_DESK}
    return frozenset()
