"""The registers' service: the right rows of the reader's own unit, in the asked order, whole or a page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.domain.registers import Book, RegisterQuery, parse_query
from hub.errors import XietongError
from tests.service.register_helpers import add_incoming, add_outgoing


async def actor(hub, login: str):
    return await hub.identity.actor((await hub.identity.user_by_login(login)).id, "127.0.0.1")


async def units(hub) -> dict[str, int]:
    return {u.code: u.id for u in await hub.identity.units()}


def incoming(**kw) -> RegisterQuery:
    return RegisterQuery(Book.INCOMING, kw.pop("year", 2026), **kw)


async def test_a_year_has_its_own_register_and_numbers(demo_hub):
    ids = await units(demo_hub)
    await add_incoming(demo_hub, ids["DHZ"], "去年的来文", received_on=date(2025, 12, 30))
    await add_incoming(demo_hub, ids["DHZ"], "今年的来文一")
    await add_incoming(demo_hub, ids["DHZ"], "今年的来文二")
    clerk = await actor(demo_hub, "dhz.clerk1")
    reg = await demo_hub.registers.register(clerk, incoming())
    assert [(i.number, i.title) for i in reg.incoming] == [("2026-0001", "今年的来文一"), ("2026-0002", "今年的来文二")]
    assert reg.total == 2 and reg.pages == 1 and reg.unit_name == "东湖镇人民政府"
    assert reg.years == [2026, 2025]
    last_year = await demo_hub.registers.register(clerk, incoming(year=2025))
    assert [i.number for i in last_year.incoming] == ["2025-0001"]


async def test_sorting_by_the_lead_unit_goes_by_its_name_and_the_state_by_the_roads_order(demo_hub):
    ids = await units(demo_hub)
    dhz = ids["DHZ"]
    await add_incoming(demo_hub, dhz, "甲", state="closed", lead_unit_id=ids["DHZJFB"])   # 东湖镇经济发展办公室
    await add_incoming(demo_hub, dhz, "乙", state="registered")
    await add_incoming(demo_hub, dhz, "丙", state="handling", lead_unit_id=ids["DHZDZB"])  # 东湖镇党政办公室
    leader = await actor(demo_hub, "dhz.leader")
    by_state = await demo_hub.registers.register(leader, incoming(sort="state"))
    assert [i.title for i in by_state.incoming] == ["乙", "丙", "甲"]
    by_lead = await demo_hub.registers.register(leader, incoming(sort="handler", desc=True))
    assert [i.title for i in by_lead.incoming] == ["甲", "丙", "乙"]
    assert by_lead.unit_names[ids["DHZJFB"]] == "东湖镇经济发展办公室"
    assert by_lead.unit_choices == [ids["DHZDZB"], ids["DHZJFB"]]


async def test_a_page_holds_a_hundred_and_the_whole_register_every_match(demo_hub):
    ids = await units(demo_hub)
    for n in range(150):
        await add_incoming(demo_hub, ids["DHZ"], f"来文{n}", urgency="urgent" if n % 3 == 0 else "ordinary")
    clerk = await actor(demo_hub, "dhz.clerk1")
    second = await demo_hub.registers.register(clerk, incoming(page=2))
    assert second.total == 150 and second.pages == 2 and len(second.incoming) == 50
    assert second.incoming[0].number == "2026-0101"
    urgent = await demo_hub.registers.register(clerk, incoming(urgency="urgent"), whole=True)
    assert urgent.total == 50 and len(urgent.incoming) == 50


async def test_only_the_units_clerks_and_leaders_read_its_registers(demo_hub):
    ids = await units(demo_hub)
    await add_incoming(demo_hub, ids["DHZ"], "东湖镇的来文")
    other = await demo_hub.registers.register(await actor(demo_hub, "xsz.leader"), incoming())
    assert other.total == 0 and other.unit_name == "西山镇人民政府"
    for login in ("dh.admin", "bgs.seal", "duty", "admin"):
        with pytest.raises(XietongError) as err:
            await demo_hub.registers.register(await actor(demo_hub, login), incoming())
        assert err.value.code == "perm.denied", login


async def test_the_issued_register_begins_at_numbering_and_keeps_withdrawn_documents(demo_hub):
    ids = await units(demo_hub)
    clerk = await actor(demo_hub, "dhz.clerk1")
    drafter = await demo_hub.identity.user_by_login("dhz.clerk1")
    from hub.store.documents import DocFields
    async with demo_hub.store.write() as tx:      # a draft is not in the register
        await tx.documents.add(ids["DHZ"], drafter.id, DocFields("草稿", "正文", "通知", "ordinary", "东湖镇人民政府",
                                                                 (ids["XSZ"],), ()), demo_hub.clock.now())
    # signed at 23:30 Beijing time on 4 November (15:30 UTC): a 4 November document
    late = await add_outgoing(demo_hub, "DHZ", "深夜签发的通知", (ids["XSZ"],),
                              signed_at=datetime(2026, 11, 4, 15, 30, tzinfo=UTC))
    await add_outgoing(demo_hub, "DHZ", "撤销的通知", (ids["NQZ"],), copy=(ids["XSZ"],), state="withdrawn",
                       signed_at=datetime(2026, 11, 6, 2, 0, tzinfo=UTC))
    out = RegisterQuery(Book.OUTGOING, 2026)
    reg = await demo_hub.registers.register(clerk, out)
    assert [(e.doc_number, e.state) for e in reg.outgoing] == [("东政发〔2026〕1号", "registered"),
                                                              ("东政发〔2026〕2号", "withdrawn")]
    assert reg.outgoing[1].sealed_at is not None and reg.outgoing[0].signer_name
    until_4th = await demo_hub.registers.register(clerk, RegisterQuery(Book.OUTGOING, 2026, date_to=date(2026, 11, 4)))
    assert [e.id for e in until_4th.outgoing] == [late]
    from_5th = await demo_hub.registers.register(clerk, RegisterQuery(Book.OUTGOING, 2026, date_from=date(2026, 11, 5)))
    assert [e.title for e in from_5th.outgoing] == ["撤销的通知"]
    to_xsz = await demo_hub.registers.register(clerk, RegisterQuery(Book.OUTGOING, 2026, unit_id=ids["XSZ"]))
    assert to_xsz.total == 2        # main recipient of one, copied on the other
    assert set(reg.unit_choices) == {ids["XSZ"], ids["NQZ"]}


def test_a_query_string_is_read_or_refused_never_guessed():
    today = date(2026, 12, 3)
    q = parse_query(Book.INCOMING, {"from": " 教育局 ", "handler": "12", "sort": "deadline", "desc": "1",
                                    "page": "3", "date_from": "2026-01-01"}, today)
    assert (q.year, q.sender, q.unit_id, q.sort, q.desc, q.page, q.offset) == (2026, "教育局", 12, "deadline", True,
                                                                              3, 200)
    assert q.params() == {"year": "2026", "from": "教育局", "handler": "12", "sort": "deadline", "desc": "1",
                          "page": "3", "date_from": "2026-01-01"}
    # the sorted column again turns the order round; another column starts ascending on page 1
    assert "desc" not in q.sorted_by("deadline") and q.sorted_by("title")["sort"] == "title"
    assert "page" not in q.sorted_by("title")
    for bad, code in [({"year": "２０２６"}, "registers.bad_year"), ({"date_to": "2026-1-5"}, "registers.bad_date"),
                      ({"q": "字" * 51}, "registers.words_too_long"), ({"sort": "signer"}, "registers.bad_sort"),
                      ({"state": "sealed"}, "registers.bad_state"), ({"handler": "0"}, "registers.bad_unit")]:
        with pytest.raises(XietongError) as err:
            parse_query(Book.INCOMING, bad, today)
        assert err.value.code == code and err.value.status == 400, bad
    assert parse_query(Book.OUTGOING, {"sort": "signer", "state": "sealed", "to": "3"}, today).unit_id == 3
