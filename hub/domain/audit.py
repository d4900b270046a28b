"""The audit chain: each row's hash covers its fields and the hash before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

GENESIS = "0" * 64


class ChainRow(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def at(self) -> str: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor_login(self) -> str: ...
    @property
    def ip(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(prev_hash: str, row_id: int, at: str, actor_id: int | None, actor_login: str,
               ip: str, action: str, target: str, detail: str) -> str:
    body = canonical_json([prev_hash, row_id, at, actor_id, actor_login, ip, action, target, detail])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    broken_at: int | None      # id of the first row that does not fit, or None
    reason: str = ""
    head: str = GENESIS        # hash of the last good row: write it down to anchor the chain

    @property
    def ok(self) -> bool:
        return self.broken_at is None


class ChainChecker:
    """Fed rows in id order; remembers the first one whose hash or link is wrong."""

    def __init__(self) -> None:
        self.prev, self.expected_id, self.count = GENESIS, 1, 0
        self.broken_at: int | None = None
        self.reason = ""

    def feed(self, r: ChainRow) -> bool:
        """Check one more row; False once the chain is broken."""
        if self.broken_at is not None:
            return False
        self.count += 1
        if r.id != self.expected_id:
            self.reason = f"row {self.expected_id} is missing (found {r.id})"
        elif r.prev_hash != self.prev:
            self.reason = "link to the previous row is broken"
        elif chain_hash(r.prev_hash, r.id, r.at, r.actor_id, r.actor_login, r.ip, r.action,
                        r.target, r.detail) != r.hash:
            self.reason = "row content does not match its hash"
        else:
            self.prev, self.expected_id = r.hash, r.id + 1
            return True
        self.broken_at = r.id
        return False

    def result(self) -> ChainCheck:
        return ChainCheck(self.count, self.broken_at, self.reason, self.prev)


def check_chain(rows: Iterable[ChainRow]) -> ChainCheck:
    checker = ChainChecker()
    for r in rows:
        if not checker.feed(r):
            break
    return checker.result()
