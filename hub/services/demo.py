"""The demo organisation `make run` loads, so a newcomer can log in at once."""

from __future__ import annotations

from dataclasses import dataclass

from hub.domain.identity import Role, SystemActor, UnitKind
from hub.domain.seals import SealKind
from hub.services.identity import IdentityService
from hub.services.seals import SealService

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
]

# 机关代字 of each unit's outgoing documents
DOC_CODES = {"BGS": "示政办发", "ZBS": "示值", "DHZ": "东政发", "XSZ": "西政发", "NQZ": "南政发",
             "JYJ": "示教发", "WJJ": "示卫健发"}

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
        if kind is UnitKind.DUTY_DESK:
            continue
        prefix = code.lower()
        people += [(f"{prefix}.clerk1", code, (Role.CLERK,)),
                   (f"{prefix}.clerk2", code, (Role.CLERK,)),
                   (f"{prefix}.leader", code, (Role.LEADER,))]
    # a second duty officer, so a shift can be handed over (交班); last, so nobody's phone number moves
    people.append(("duty2", "ZBS", (Role.DUTY_DESK,)))
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
