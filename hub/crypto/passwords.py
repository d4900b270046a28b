"""Password hashing with Argon2id (memory-hard), off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class PasswordHasher:
    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 2) -> None:
        self._argon = _Argon2(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        # verified against when the account does not exist, so timing does not reveal it
        self._dummy = self._argon.hash("not a password of anyone")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._argon.verify(password_hash or self._dummy, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
