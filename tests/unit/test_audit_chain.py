from dataclasses import dataclass, replace

from hub.domain.audit import GENESIS, chain_hash, check_chain


@dataclass(frozen=True)
class Row:
    id: int
    at: str
    actor_id: int | None
    actor_login: str
    ip: str
    action: str
    target: str
    detail: str
    prev_hash: str
    hash: str


def chain(n: int) -> list[Row]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        fields = (f"2026-11-24T01:00:0{i}.000000Z", 1, "admin", "127.0.0.1", "user.add", f"user:{i}", "{}")
        h = chain_hash(prev, i, *fields)
        rows.append(Row(i, *fields, prev, h))
        prev = h
    return rows


def test_an_untouched_chain_verifies_and_reports_its_head():
    rows = chain(5)
    result = check_chain(rows)
    assert result.ok and result.rows == 5 and result.head == rows[-1].hash


def test_an_edited_row_is_the_first_broken_one():
    rows = chain(5)
    rows[2] = replace(rows[2], target="user:999")
    result = check_chain(rows)
    assert not result.ok and result.broken_at == 3 and "does not match" in result.reason


def test_a_deleted_row_is_noticed():
    rows = chain(5)
    del rows[1]
    result = check_chain(rows)
    assert result.broken_at == 3 and "missing" in result.reason


def test_a_rehashed_row_still_breaks_the_link_to_the_next():
    rows = chain(4)
    forged = replace(rows[1], action="user.disable")
    forged = replace(forged, hash=chain_hash(forged.prev_hash, 2, forged.at, 1, "admin", "127.0.0.1",
                                             "user.disable", forged.target, "{}"))
    rows[1] = forged
    result = check_chain(rows)
    assert result.broken_at == 3 and "link" in result.reason
