"""The demo organisation `make run` loads, so a newcomer can log in at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.clock import FakeClock
from hub.domain.identity import Actor, Role, SystemActor, UnitKind
from hub.domain.items import Item, ItemDraft, ItemKind, Urgency
from hub.domain.seals import SealKind
from hub.services.identity import IdentityService
from hub.services.seals import SealService

if TYPE_CHECKING:
    from hub.app import Hub

DEMO_PASSWORD = "Demo@2026"
DEMO_AUTHORITY_PASSPHRASE = "SealAuthority@2026"   # the demo seal authority's key; a demo value, not a secret
DEMO_AUTHORITY_NAME = "示范区电子印章制作中心"
DEMO_SEAL_DAYS = 365 * 2

# code, name, kind, parent code, duty phone
UNITS = [
    ("BGS", "示范区人民政府办公室", UnitKind.OFFICE, None, "0571-88000001"),
    ("ZBS", "示范区政府总值班室", UnitKind.DUTY_DESK, "BGS", "0571-88000110"),
    ("DHZ", "东湖镇人民政府", UnitKind.TOWNSHIP, "BGS", "0571-88100001"),
    ("XSZ", "西山镇人民政府", UnitKind.TOWNSHIP, "BGS", "0571-88200001"),
    ("NQZ", "南桥镇人民政府", UnitKind.TOWNSHIP, "BGS", "0571-88300001"),
    ("JYJ", "示范区教育局", UnitKind.DEPARTMENT, "BGS", "0571-88400001"),
    ("WJJ", "示范区卫生健康局", UnitKind.DEPARTMENT, "BGS", "0571-88500001"),
    # 东湖镇's own offices, for its received documents' lead (主办) and assisting (协办) units; last, so
    # every unit above keeps its id
    ("DHZDZB", "东湖镇党政办公室", UnitKind.DEPARTMENT, "DHZ", "0571-88100002"),
    ("DHZJFB", "东湖镇经济发展办公室", UnitKind.DEPARTMENT, "DHZ", "0571-88100003"),
]
# units with one clerk only (appended after everyone else, so nobody's phone number moves)
ONE_CLERK_UNITS = ("DHZDZB", "DHZJFB")

# 机关代字 of each unit's outgoing documents
DOC_CODES = {"BGS": "示政办发", "ZBS": "示值", "DHZ": "东政发", "XSZ": "西政发", "NQZ": "南政发",
             "JYJ": "示教发", "WJJ": "示卫健发", "DHZDZB": "东党政办", "DHZJFB": "东经发办"}

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
          "超", "秀英", "霞", "平", "刚", "桂英", "华", "建国", "海燕"]


@dataclass(frozen=True)
class DemoAccount:
    login: str
    name: str
    unit: str
    roles: tuple[Role, ...]


def demo_accounts() -> list[DemoAccount]:
    people: list[tuple[str, str, tuple[Role, ...]]] = [
        ("admin", "BGS", (Role.SUPER_ADMIN,)),
        ("dh.admin", "DHZ", (Role.UNIT_ADMIN,)),
        ("bgs.seal", "BGS", (Role.SEAL_KEEPER,)),
        ("duty", "ZBS", (Role.DUTY_DESK,)),
    ]
    for code, _, kind, _, _ in UNITS:
        if kind is UnitKind.DUTY_DESK or code in ONE_CLERK_UNITS:
            continue
        prefix = code.lower()
        people += [(f"{prefix}.clerk1", code, (Role.CLERK,)),
                   (f"{prefix}.clerk2", code, (Role.CLERK,)),
                   (f"{prefix}.leader", code, (Role.LEADER,))]
    # a second duty officer, so a shift can be handed over (交班); last, so nobody's phone number moves
    people.append(("duty2", "ZBS", (Role.DUTY_DESK,)))
    # 东湖镇's offices' clerks (dhzdzb.clerk, dhzjfb.clerk), after duty2 for the same reason
    people += [(f"{code.lower()}.clerk", code, (Role.CLERK,)) for code in ONE_CLERK_UNITS]
    accounts = []
    for i, (login, unit, roles) in enumerate(people):
        name = _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i * 7) % len(_GIVEN)]
        accounts.append(DemoAccount(login, name, unit, roles))
    return accounts


async def load_demo(identity: IdentityService) -> list[DemoAccount]:
    """Create the demo units and people; the database must have no units yet."""
    system = SystemActor(login="demo")
    ids: dict[str, int] = {}
    for code, name, kind, parent, phone in UNITS:
        unit = await identity.add_unit(system, code, name, kind,
                                       ids[parent] if parent else None, phone)
        ids[code] = unit.id
        await identity.set_doc_code(system, unit.id, DOC_CODES[code])
    accounts = demo_accounts()
    for n, acc in enumerate(accounts, start=1):
        await identity.add_user(system, acc.login, acc.name, ids[acc.unit], DEMO_PASSWORD,
                                frozenset(acc.roles), phone=f"+86138{n:08d}")
    return accounts


async def load_demo_seals(seals: SealService, identity: IdentityService) -> int:
    """The demo seal authority and an active official seal (法定名称章) for every unit, whose seal
    password is DEMO_PASSWORD (set by the system: only BGS has a seal keeper in the demo)."""
    system = SystemActor(login="demo")
    await seals.init_authority(system, DEMO_AUTHORITY_PASSPHRASE, DEMO_AUTHORITY_NAME)
    units = await identity.units()
    for unit in units:
        seal = await seals.make_seal(system, unit.id, SealKind.OFFICIAL, unit.name, DEMO_SEAL_DAYS)
        await seals.set_seal_password(system, seal.id, DEMO_PASSWORD)
    return len(units)


# The demo's items at every stage of the ladder, issued through the real services on a clock that
# starts DEMO_PAST before now and runs the scheduler's due steps minute by minute: the rows are what
# the live system would have written. (minutes before now, urgency, title, recipient units)
DEMO_PAST = timedelta(hours=2)
_BODY = "各有关单位：\n请按通知要求抓紧落实，并于收到后在规定时限内签收。"
STAGE_ITEMS = [
    (90, Urgency.EXTRA_URGENT, "关于切实做好森林防火工作的紧急通知", ("XSZ",)),           # signed by SMS reply
    (70, Urgency.URGENT, "关于报送今冬明春防疫物资储备情况的通知", ("JYJ", "WJJ")),       # half-way up
    (50, Urgency.URGENT, "关于开展安全生产大检查的通知", ("DHZ",)),                       # signed on the web
    (40, Urgency.EXTRA_URGENT, "关于做好寒潮雨雪冰冻天气防御工作的紧急通知", ("DHZ", "NQZ")),  # escalated
    (2, Urgency.EXTRA_URGENT, "关于迎接省政府安全生产督查的紧急通知", ("DHZ", "XSZ", "NQZ")),  # fresh
]
SMS_REPLY_AFTER = 4       # minutes: 西山镇's clerk answers the 森林防火 notice "签收 <code>"
WEB_SIGN_AFTER = 6        # minutes: 东湖镇 opens and signs for its notices on the web


async def load_demo_items(hub: Hub, now: datetime) -> list[str]:
    """The demo's items at every stage, up to `now`: one 特急 escalated to the duty desk (its
    reminder, backup/leader SMS and duty-desk step in its timeline), one 加急 half-way up the ladder
    (reminded, backup and leader told), one signed for by SMS reply, one signed for on the web with
    its receipt, one just issued. `hub` runs on a FakeClock set DEMO_PAST before `now`, without its
    background tasks; the titles of the items issued."""
    clock = hub.clock
    assert isinstance(clock, FakeClock), "the demo's past needs a clock it can move"
    start = now - DEMO_PAST
    clock.set(start)
    ids = {u.code: u.id for u in await hub.identity.units()}

    async def as_user(login: str) -> Actor:
        return await hub.identity.actor((await hub.identity.user_by_login(login)).id, "demo")

    sender = await as_user("bgs.clerk1")
    plan: dict[int, list[Callable[[], Awaitable[object]]]] = {}
    issued: dict[str, Item] = {}

    def at(minute: int, action: Callable[[], Awaitable[object]]) -> None:
        plan.setdefault(minute, []).append(action)

    for before, urgency, title, units in STAGE_ITEMS:
        async def issue(urgency: Urgency = urgency, title: str = title, units: tuple[str, ...] = units) -> None:
            issued[title] = await hub.items.issue(sender, ItemDraft(
                kind=ItemKind.DOCUMENT, urgency=urgency, title=title, body=_BODY,
                main_units=tuple(ids[u] for u in units), issuing_office="示范区人民政府办公室"))
        at(int(DEMO_PAST.total_seconds() // 60) - before, issue)

    async def sms_reply() -> None:
        item = issued[STAGE_ITEMS[0][2]]
        clerk = await hub.identity.user_by_login("xsz.clerk1")
        await hub.sms.reply(f"SMdemo{item.id:08d}", clerk.phone, f"签收 {item.short_code}")

    async def web_sign(title: str) -> None:
        clerk = await as_user("dhz.clerk1")
        view = await hub.items.view(clerk, issued[title].id)      # opened (read), then signed for
        assert view.mine is not None
        await hub.items.acknowledge(clerk, view.mine.id)

    minutes = int(DEMO_PAST.total_seconds() // 60)
    at(minutes - STAGE_ITEMS[0][0] + SMS_REPLY_AFTER, sms_reply)
    for n in (2, 3):      # the 安全生产大检查 notice, and 东湖镇's part of the 寒潮 one
        async def sign(title: str = STAGE_ITEMS[n][2]) -> None:
            await web_sign(title)
        at(minutes - STAGE_ITEMS[n][0] + WEB_SIGN_AFTER, sign)
    for minute in range(minutes + 1):
        clock.set(start + timedelta(minutes=minute))
        await hub.scheduler.run_due()          # the ladder's steps due by now, at their time
        for action in plan.get(minute, []):
            await action()
    clock.set(now)
    await hub.scheduler.run_due()
    return list(issued)
