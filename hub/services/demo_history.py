"""A month of the demo's history, for the circular (通报): the previous calendar month (Beijing time).

Written by the real services on the demo's fake clock, which runs through the month and stops at
every ladder step the scheduler has due: each working day at 09:30 the district office (bgs.clerk1)
issues a notice to the three townships and two departments; each unit signs for it after its own
delay — 南桥镇 (NQZ) reliably slow, past the window, and chased by the office; the others within
minutes. People log in on working days, except at the health bureau (WJJ), whose clerk logs in twice
in the month: the circular of that month names 南桥镇 slow and 卫健局 little-used. A few 工作动态 go up
to the office, some adopted.

Logins are written as the login's transaction writes them (its login row and audit row), without
hashing a password each time: the history must load in about a second.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from hub.clock import FakeClock
from hub.domain.calendar import CST
from hub.domain.identity import Actor, SystemActor
from hub.domain.items import ItemDraft, ItemKind, Urgency
from hub.services import audit
from hub.services.demo_incoming import _run_until
from hub.services.stats import last_month

if TYPE_CHECKING:
    from hub.app import Hub


UNITS = ("DHZ", "XSZ", "NQZ", "JYJ", "WJJ")
SLOW, IDLE = "NQZ", "WJJ"
# each unit's minutes to sign for a 加急 notice (2 hours): (fewest, most)
DELAYS = {"DHZ": (4, 40), "XSZ": (8, 75), "NQZ": (150, 520), "JYJ": (5, 55), "WJJ": (15, 100)}
CHASE_AFTER = timedelta(minutes=90)      # the office chases whoever has not signed for by then
TOPICS = ["安全生产检查", "冬季防火", "防汛物资盘点", "疫情防控", "农村人居环境整治", "信访矛盾排查",
          "低保资金审计", "营商环境评价", "河长制巡河", "森林资源保护", "燃气安全排查"]
REPORTS = [("DHZ", "东湖镇开展冬季消防安全大排查", True), ("XSZ", "西山镇推进农村人居环境整治", True),
           ("JYJ", "区教育局部署寒假学生安全工作", False), ("NQZ", "南桥镇召开安全生产专题会议", False)]


def working_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() < 5]


async def load_demo_history(hub: Hub, now: datetime, end: datetime) -> int:
    """The calendar month before `now`'s (up to `end`, when the demo's later stages start earlier): the
    notices, sign-fors, chases, logins and reports; how many notices were issued. `hub` runs on a
    FakeClock without its background tasks."""
    clock = hub.clock
    assert isinstance(clock, FakeClock), "the demo's history needs a clock it can move"
    since, until = last_month(now)
    until = min(until, end)
    rng = random.Random(2026)             # the same history every time
    ids = {u.code: u.id for u in await hub.identity.units()}

    async def as_user(login: str) -> Actor:
        return await hub.identity.actor((await hub.identity.user_by_login(login)).id, "demo")

    sender = await as_user("bgs.clerk1")
    clerks = {code: await as_user(f"{code.lower()}.clerk1") for code in UNITS}
    people = {login: (await hub.identity.user_by_login(login)).id
              for code in UNITS for login in (f"{code.lower()}.clerk1", f"{code.lower()}.clerk2",
                                              f"{code.lower()}.leader")}
    people |= {login: (await hub.identity.user_by_login(login)).id for login in ("dhzdzb.clerk", "dhzjfb.clerk")}
    plan: list[tuple[datetime, Callable[[], Awaitable[object]]]] = []
    issued: dict[int, Any] = {}

    def at(when: datetime, action: Callable[[], Awaitable[object]]) -> None:
        if since <= when < until:
            plan.append((when, action))

    days = working_days(since.astimezone(CST).date(), (until - timedelta(seconds=1)).astimezone(CST).date())
    for n, day in enumerate(days):
        issue_at = datetime.combine(day, time(9, 30), CST)

        async def issue(n: int = n, day: date = day) -> None:
            topic = TOPICS[n % len(TOPICS)]
            issued[n] = await hub.items.issue(sender, ItemDraft(
                kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT, title=f"关于做好{topic}工作的通知",
                body=f"各有关单位：\n请于{day.month}月{day.day}日前部署{topic}工作，收到后及时签收。",
                main_units=tuple(ids[u] for u in UNITS), issuing_office="示范区人民政府办公室"))
        at(issue_at, issue)
        for code in UNITS:
            low, high = DELAYS[code]

            async def sign(n: int = n, code: str = code) -> None:
                async with hub.store.read() as tx:
                    mine = await tx.deliveries.of_item_for_unit(issued[n].id, ids[code])
                if mine is not None and mine.is_open:
                    await hub.items.acknowledge(clerks[code], mine.id)
            at(issue_at + timedelta(minutes=rng.randint(low, high)), sign)

        async def chase(n: int = n) -> None:
            await hub.chase.remind_unsigned(sender, issued[n].id)
        at(issue_at + CHASE_AFTER, chase)
        # logins: everyone but the health bureau on most working days, its clerk on two days only;
        # the day's logins are written in one transaction just before the notice (the history is quick)
        day_logins = [(people[login], login, issue_at - timedelta(minutes=rng.randint(5, 80)))
                      for login in people
                      if (login.startswith(IDLE.lower()) and login.endswith("clerk1") and n in (1, 12))
                      or (not login.startswith(IDLE.lower()) and rng.random() < 0.8)]

        async def log_in(day_logins: list[tuple[int, str, datetime]] = day_logins) -> None:
            await _logged_in(hub, day_logins)
        at(issue_at - timedelta(minutes=2), log_in)

    for k, (code, title, adopted) in enumerate(REPORTS):
        sent = datetime.combine(days[min(len(days) - 1, 3 + 4 * k)], time(15, 0), CST) if days else since

        async def send(code: str = code, title: str = title, adopted: bool = adopted) -> None:
            await _report(hub, await as_user(f"{code.lower()}.clerk1"), sender, title, adopted)
        at(sent, send)

    plan.sort(key=lambda p: p[0])
    clock.set(since)        # the first of the demo's past: its clock goes back to the month's start
    for when, action in plan:
        await _run_until(hub, when)
        await action()
    await _run_until(hub, until)
    return len(issued)


async def _logged_in(hub: Hub, logins: list[tuple[int, str, datetime]]) -> None:
    """What successful logins write for the circular: a login row and an audit row each."""
    async with hub.store.write() as tx:
        for user_id, login, when in sorted(logins, key=lambda x: x[2]):
            await tx.usage.record_login(user_id, when)
            await audit.record(tx, when, SystemActor(login=login, ip="10.8.0.21"), "auth.login", f"user:{user_id}")


async def _report(hub: Hub, clerk: Actor, office: Actor, title: str, adopted: bool) -> None:
    """A 工作动态 sent up through the reports service, adopted by the office where the plan says."""
    sent = await hub.reports.send(clerk, kind="work_news", title=title, body=title + "。")
    if adopted:
        await hub.reports.adopt(office, sent.id, "《政务信息》")
