"""People, units and roles (see DOMAIN.md, "People and roles")."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from hub.errors import XietongError


class Role(StrEnum):
    SUPER_ADMIN = "super_admin"    # 超级系统管理员
    UNIT_ADMIN = "unit_admin"      # 单位系统管理员
    SEAL_KEEPER = "seal_keeper"    # 公章管理员
    CLERK = "clerk"                # 公文管理员 / 公文收发员
    LEADER = "leader"              # 领导
    DUTY_DESK = "duty_desk"        # 值班室
    USER = "user"                  # 普通用户


ADMIN_ROLES = frozenset({Role.SUPER_ADMIN, Role.UNIT_ADMIN})


class UnitKind(StrEnum):
    OFFICE = "office"            # 办公室 (the district/city government office)
    DUTY_DESK = "duty_desk"      # 值班室
    TOWNSHIP = "township"        # 乡镇 / 街道
    DEPARTMENT = "department"    # 部门
    INTERNAL = "internal"        # 内设机构


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    duty_phone: str = ""


@dataclass(frozen=True)
class User:
    id: int
    login: str
    name: str
    unit_id: int
    roles: frozenset[Role]
    phone: str = ""
    allowed_ips: tuple[str, ...] = ()
    disabled: bool = False

    @property
    def is_admin(self) -> bool:
        return bool(self.roles & ADMIN_ROLES)


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where. Built from the session for each request."""

    user_id: int
    login: str
    name: str
    unit_id: int
    roles: frozenset[Role]
    ip: str = ""
    unit_name: str = ""
    by: Delegate | None = None       # set while a delegate acts for this person (代理): who really acts

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def signature(self) -> str:
        """The name a history row shows: "王五（代 李四）" while a delegate acts, else the name."""
        return f"{self.by.name}（代 {self.name}）" if self.by else self.name

    @property
    def person(self) -> Actor:
        """The person at the keyboard, as themselves (their own one-time codes, their own pages)."""
        d = self.by
        if d is None:
            return self
        return replace(self, user_id=d.user_id, login=d.login, name=d.name, unit_id=d.unit_id,
                       roles=d.roles, unit_name=d.unit_name, by=None)


@dataclass(frozen=True)
class Delegate:
    """Who really acts for an actor, under which delegation, as checked at `checked_at`."""

    user_id: int
    login: str
    name: str
    unit_id: int
    roles: frozenset[Role]
    delegation_id: int
    approved: bool
    starts_at: datetime
    ends_at: datetime
    checked_at: datetime
    unit_name: str = ""

    @property
    def current(self) -> bool:
        return self.approved and self.starts_at <= self.checked_at < self.ends_at


@dataclass(frozen=True)
class SystemActor:
    """The command line and background tasks act as the system."""

    login: str = "system"
    ip: str = "local"
    user_id: None = None


LOGIN_RE = re.compile(r"^[A-Za-z0-9._-]{3,32}$")
UNIT_CODE_RE = re.compile(r"^[A-Z0-9]{2,16}$")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def check_login(login: str) -> str:
    if not LOGIN_RE.match(login):
        raise XietongError("user.bad_login")
    return login.lower()


def check_person_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 40:
        raise XietongError("user.bad_name")
    return name


def check_unit_code(code: str) -> str:
    code = code.strip().upper()
    if not UNIT_CODE_RE.match(code):
        raise XietongError("unit.bad_code")
    return code


def check_unit_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 60:
        raise XietongError("unit.bad_name")
    return name


def normalize_phone(text: str) -> str:
    """A mainland mobile number in E.164 (+86…); empty stays empty."""
    digits = re.sub(r"[\s-]", "", text)
    if not digits:
        return ""
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _CN_MOBILE.match(digits):
        raise XietongError("user.bad_phone")
    return "+86" + digits


def parse_roles(names: list[str] | tuple[str, ...] | set[str]) -> frozenset[Role]:
    roles = set()
    for n in names:
        n = n.strip()
        if not n:
            continue
        try:
            roles.add(Role(n))
        except ValueError:
            raise XietongError("user.bad_role", role=n) from None
    if not roles:
        raise XietongError("user.no_role")
    return frozenset(roles)


def parse_ip_rules(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Addresses or CIDR ranges, e.g. '10.1.2.3, 10.2.0.0/16'. Empty = anywhere."""
    items = text if isinstance(text, (list, tuple)) else re.split(r"[\s,;]+", text)
    rules = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        try:
            rules.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise XietongError("user.bad_ip_rule", rule=item) from None
    return tuple(rules)


def ip_allowed(rules: tuple[str, ...], ip: str) -> bool:
    """An account with no rules may log in from anywhere."""
    if not rules:
        return True
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return any(addr in ipaddress.ip_network(r) for r in rules)
