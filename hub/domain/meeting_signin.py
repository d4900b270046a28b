"""Sign-in codes of a meeting (签到码), and who may sign in. Pure rules: no I/O, no clock.

The organiser's screen shows a QR code of a link carrying a code that names the meeting and a
time slot: `<meeting id>.<slot>.<mac>`, mac = HMAC-SHA256(key, "<meeting id>.<slot>") (first 16
bytes, base64url), slot = floor(unix time / period). A code is accepted in its own slot and the
next one only, so a photo of the screen sent round stops working within two periods. The key is
derived (HKDF-SHA256) from a secret the install already keeps (the OTP key): no new secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.errors import XietongError

KEY_INFO = b"xietong/meeting-signin-code/v1"
MAC_BYTES = 16
CODE_LIMIT = 100
_CODE = re.compile(r"^([1-9][0-9]{0,17})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")


def derive_key(secret: bytes) -> bytes:
    """The codes' own key, from the install's secret (one-way: a code never reveals the secret)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(secret)


class CodeCheck(StrEnum):
    OK = "ok"
    EXPIRED = "expired"                # a real code of this meeting, from an older slot
    OTHER_MEETING = "other_meeting"    # a real code, of another meeting
    MALFORMED = "malformed"            # not a code we made (typed, cut, forged, from the future)


ERROR_OF = {CodeCheck.EXPIRED: "meeting.signin_code_expired",
            CodeCheck.OTHER_MEETING: "meeting.signin_code_other_meeting",
            CodeCheck.MALFORMED: "meeting.signin_code_malformed"}


@dataclass(frozen=True)
class SigninCode:
    code: str
    slot: int
    refresh_at: datetime       # the next slot starts: the screen shows a new code
    expires_at: datetime       # after this the code is refused


def slot_of(now: datetime, period: int) -> int:
    return int(now.timestamp()) // period


def _mac(key: bytes, meeting_id: int, slot: int) -> str:
    digest = hmac.new(key, f"{meeting_id}.{slot}".encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def make_code(key: bytes, meeting_id: int, now: datetime, period: int) -> SigninCode:
    slot = slot_of(now, period)
    return SigninCode(f"{meeting_id}.{slot}.{_mac(key, meeting_id, slot)}", slot,
                      datetime.fromtimestamp((slot + 1) * period, UTC),
                      datetime.fromtimestamp((slot + 2) * period, UTC))


def check_code(key: bytes, meeting_id: int, code: str, now: datetime, period: int) -> CodeCheck:
    """Is `code` good for signing in to `meeting_id` now? A forged or altered code is malformed,
    whatever meeting or slot it claims."""
    m = _CODE.match(code.strip()) if len(code) <= CODE_LIMIT else None
    if m is None:
        return CodeCheck.MALFORMED
    named, slot = int(m.group(1)), int(m.group(2))
    if not hmac.compare_digest(_mac(key, named, slot), m.group(3)):
        return CodeCheck.MALFORMED
    current = slot_of(now, period)
    if slot > current:
        return CodeCheck.MALFORMED
    if named != meeting_id:
        return CodeCheck.OTHER_MEETING
    if slot < current - 1:
        return CodeCheck.EXPIRED
    return CodeCheck.OK


def require_code(key: bytes, meeting_id: int, code: str, now: datetime, period: int) -> None:
    """Refuse a code that is not good now, with its own clear message."""
    outcome = check_code(key, meeting_id, code, now, period)
    if outcome is not CodeCheck.OK:
        raise XietongError(ERROR_OF[outcome])


class Standing(StrEnum):
    """Who the person signing in is, for this meeting."""
    ATTENDEE = "attendee"      # named by their unit's reply (or added earlier)
    INVITEE = "invitee"        # invited by name: signs in as an attendee of their unit
    WALK_IN = "walk_in"        # of an invited unit, not named: signed in, marked 未报名 for the organiser
    STRANGER = "stranger"      # none of these: refused


def standing_of(user_id: int, unit_id: int, attendee_users: set[int], invitees: set[int],
                invited_units: set[int]) -> Standing:
    if user_id in attendee_users:
        return Standing.ATTENDEE
    if user_id in invitees:
        return Standing.INVITEE
    if unit_id in invited_units:
        return Standing.WALK_IN
    return Standing.STRANGER
