"""The SMS gateway: Twilio's Messages API through the `twilio` package's asyncio client.

In the private network the API is Twilio's own or a Twilio-compatible gateway
inside the network (config `sms.api_base_url`); the SDK's HTTP client is told
to send its requests there instead of api.twilio.com.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from hub.domain.sms import PERMANENT_ERRORS

TWILIO_API = "https://api.twilio.com"
CLOCK_SKEW = timedelta(minutes=5)   # the gateway's clock may differ a little from ours


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
    async def send(self, to: str, body: str) -> Sent: ...

    async def find(self, to: str, body: str, since: datetime) -> Sent | None: ...

    async def close(self) -> None: ...


class _RedirectingHttpClient(AsyncTwilioHttpClient):
    """The SDK's own asyncio HTTP client, pointed at the configured API base URL."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.base_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        return await super().request(method, url, *args, **kwargs)


class TwilioGateway:
    def __init__(self, base_url: str, account_sid: str, auth_token: str, from_number: str,
                 messaging_service_sid: str, status_callback: str, timeout: float = 15) -> None:
        self._http = _RedirectingHttpClient(base_url, timeout)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self.from_number, self.messaging_service_sid = from_number, messaging_service_sid
        self.status_callback = status_callback

    async def send(self, to: str, body: str) -> Sent:
        sender: dict[str, str] = ({"messaging_service_sid": self.messaging_service_sid}
                                  if self.messaging_service_sid else {"from_": self.from_number})
        try:
            msg = await self._client.messages.create_async(to=to, body=body, status_callback=self.status_callback,
                                                           **sender)
        except TwilioRestException as e:
            if e.status >= 500:
                raise GatewayUnanswered(str(e)) from e   # it may have been taken before the failure
            raise GatewayError(e.status, e.code, e.msg) from e
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            raise GatewayUnanswered(str(e) or type(e).__name__) from e
        return Sent(str(msg.sid), str(msg.status or "queued"))

    async def find(self, to: str, body: str, since: datetime) -> Sent | None:
        """A message with this text to this number created since `since`, if the gateway has one.

        Listed by recipient, newest first; not by DateSent, which a message still queued lacks."""
        try:
            found = await self._client.messages.list_async(to=to, limit=100)
        except TwilioRestException as e:
            raise GatewayUnanswered(str(e)) from e
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            raise GatewayUnanswered(str(e) or type(e).__name__) from e
        for m in found:
            created = m.date_created
            if m.body == body and (created is None or created >= since - CLOCK_SKEW):
                return Sent(str(m.sid), str(m.status))
        return None

    async def close(self) -> None:
        await self._http.close()
