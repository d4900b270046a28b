"""The SMS gateway: Twilio's Messages API through the `twilio` package's asyncio client.

In the private network the API is Twilio's own or a Twilio-compatible gateway
inside the network (config `sms.api_base_url`); the SDK's HTTP client is told
to send its requests there instead of api.twilio.com. Each message's
StatusCallback URL carries a token of ours for it; each answer's HTTP `Date`
tells how far the gateway's clock is from ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlencode

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from hub.domain.sms import CALLBACK_TOKEN, PERMANENT_ERRORS, GatewayMessage

TWILIO_API = "https://api.twilio.com"
PAGE_SIZE = 100
MAX_LISTED = 1000      # a look-up reads at most this many of one number's messages


class GatewayError(Exception):
    """The gateway answered and refused the message."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    @property
    def permanent(self) -> bool:
        """Retrying cannot help (bad number, opted out, bad request); 429 and 5xx can."""
        return self.code in PERMANENT_ERRORS or (400 <= self.status < 500 and self.status != 429)


class GatewayUnanswered(Exception):
    """No answer (connection lost, timeout): the message may or may not have been accepted."""


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


class Gateway(Protocol):
    async def send(self, to: str, body: str, token: str = "") -> Sent: ...

    async def listed(self, to: str, since: datetime) -> list[GatewayMessage]: ...

    async def fetch(self, sid: str) -> GatewayMessage: ...

    def clock_skew(self) -> timedelta | None: ...

    async def close(self) -> None: ...


class _RedirectingHttpClient(AsyncTwilioHttpClient):
    """The SDK's own asyncio HTTP client, pointed at the configured API base URL; it notes the
    gateway's clock (the `Date` of its latest answer) against ours."""

    def __init__(self, base_url: str, timeout: float, now: Callable[[], datetime]) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        self._now = now
        self.skew: timedelta | None = None     # the gateway's clock minus ours, at its latest answer

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.base_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        response = await super().request(method, url, *args, **kwargs)
        date = response.headers.get("Date") if response.headers else None
        if date:
            try:
                self.skew = _rfc2822(str(date)) - self._now()
            except (TypeError, ValueError):
                pass                            # no usable Date: keep what we knew
        return response


def _rfc2822(text: str) -> datetime:
    t = parsedate_to_datetime(text)
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)    # "-0000": UTC, says RFC 2822


def _unanswered(e: BaseException) -> GatewayUnanswered:
    return GatewayUnanswered(str(e) or type(e).__name__)


class TwilioGateway:
    def __init__(self, base_url: str, account_sid: str, auth_token: str, from_number: str,
                 messaging_service_sid: str, status_callback: str, now: Callable[[], datetime],
                 timeout: float = 15) -> None:
        self._http = _RedirectingHttpClient(base_url, timeout, now)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self.from_number, self.messaging_service_sid = from_number, messaging_service_sid
        self.status_callback = status_callback

    def clock_skew(self) -> timedelta | None:
        """The gateway's clock minus ours, from its latest answer (None before any)."""
        return self._http.skew

    async def send(self, to: str, body: str, token: str = "") -> Sent:
        """Hand the message over; its StatusCallback URL carries our `token` for it."""
        sender: dict[str, str] = ({"messaging_service_sid": self.messaging_service_sid}
                                  if self.messaging_service_sid else {"from_": self.from_number})
        callback = self.status_callback
        if token:
            callback += ("&" if "?" in callback else "?") + urlencode({CALLBACK_TOKEN: token})
        try:
            msg = await self._client.messages.create_async(to=to, body=body, status_callback=callback, **sender)
        except TwilioRestException as e:
            if e.status >= 500:
                raise _unanswered(e) from e      # it may have been taken before the failure
            raise GatewayError(e.status, e.code, e.msg) from e
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            raise _unanswered(e) from e
        return Sent(str(msg.sid), str(msg.status or "queued"))

    async def listed(self, to: str, since: datetime) -> list[GatewayMessage]:
        """Our messages to this number created since `since` (by the gateway's clock), newest first.

        Read page by page from the raw records: a compatible gateway may show each one's
        StatusCallback, which the SDK's objects drop. Not filtered by DateSent, which a message
        still queued lacks."""
        found: list[GatewayMessage] = []
        try:
            page = await self._client.messages.page_async(to=to, page_size=PAGE_SIZE)
            while page is not None and len(found) < MAX_LISTED:
                records = page.load_page(page._payload)
                older = 0
                for r in records:
                    m = _message(r)
                    if m.created is not None and m.created < since:
                        older += 1
                    elif r.get("direction") in (None, "outbound-api"):
                        found.append(m)
                # newest first (Twilio's order): a page all older than `since` ends the list
                page = await page.next_page_async() if records and older < len(records) else None
        except TwilioException as e:
            raise _unanswered(e) from e
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as e:
            raise _unanswered(e) from e
        return found

    async def fetch(self, sid: str) -> GatewayMessage:
        """One message by its SID, as the gateway has it now."""
        try:
            m = await self._client.messages(sid).fetch_async()
        except TwilioRestException as e:
            if e.status >= 500 or e.status == 429:
                raise _unanswered(e) from e
            raise GatewayError(e.status, e.code, e.msg) from e
        except TwilioException as e:
            raise _unanswered(e) from e
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            raise _unanswered(e) from e
        return GatewayMessage(str(m.sid), str(m.body or ""), str(m.status or ""), m.error_code, m.date_created)

    async def close(self) -> None:
        await self._http.close()


def _message(r: dict[str, Any]) -> GatewayMessage:
    created = None
    try:
        created = _rfc2822(str(r["date_created"])) if r.get("date_created") else None
    except (TypeError, ValueError):
        pass
    code = str(r.get("error_code") or "")
    return GatewayMessage(str(r.get("sid", "")), str(r.get("body") or ""), str(r.get("status") or ""),
                          int(code) if code.isdigit() else None, created,
                          str(r["status_callback"]) if r.get("status_callback") else None)
