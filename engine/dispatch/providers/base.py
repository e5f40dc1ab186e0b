"""The Provider interface, send results and callbacks, shared by every provider."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from engine.dispatch.message import OutboxRow, Outcome
from engine.dispatch.send_record import Receipt
from engine.dispatch.templates import ProviderTemplate

if TYPE_CHECKING:
    import aiohttp

# aiohttp is imported by the first provider call: importing it (and the TLS context it builds
# on import) took a quarter of `xinshi serve`'s start. A missing 'dispatch' extra is still an
# ImportError here, as the API's 501 routes expect.
if importlib.util.find_spec("aiohttp") is None:
    raise ModuleNotFoundError("No module named 'aiohttp'", name="aiohttp")


@dataclass(frozen=True, slots=True)
class SendResult:
    """One provider call, classified."""

    outcome: Outcome
    code: str
    message: str = ""
    provider_ref: str | None = None  # BizId / SerialNo
    request_id: str | None = None
    billed_parts: int | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A reply from a user (MO), as a provider reported it."""

    provider: str
    phone: str
    sign_name: str | None
    text: str
    raw: str


@dataclass(frozen=True, slots=True)
class Callbacks:
    """How one provider's receipt and reply callbacks are parsed and acknowledged."""

    parse_receipts: Callable[[Any], list[Receipt]]
    parse_inbound: Callable[[Any], list[Inbound]]
    ack: Mapping[str, Any]


class Provider(Protocol):
    """What the worker needs from an SMS provider."""

    name: str
    max_qps: float

    async def send(self, row: OutboxRow, tpl: ProviderTemplate) -> SendResult:
        """Submit one message; never raises for provider or network errors."""
        ...

    async def lookup(self, row: OutboxRow) -> SendResult | None:
        """Whether the provider has this message (by our id): accepted, or None if not found."""
        ...

    async def aclose(self) -> None:
        """Close connections."""
        ...


def classify(code: str, table: Mapping[str, Outcome], default: Outcome) -> Outcome:
    """A provider code -> Outcome; prefixes like 'LimitExceeded.' match with a trailing dot.

    Providers call it with ``default=Outcome.UNKNOWN``: a code nobody listed (a new one, or
    a credentials error) must never fail a message for good; the message is reconciled.
    """
    if code in table:
        return table[code]
    for key, outcome in table.items():
        if key.endswith(".") and code.startswith(key):
            return outcome
    return default


class NetworkError(Exception):
    """An aiohttp error from ``Http.post`` (the original is ``__cause__``)."""


def network_outcome(exc: BaseException) -> SendResult:
    """A failed call: before the request left (transient) or after (unknown: reconcile)."""
    if isinstance(exc, NetworkError) and exc.__cause__ is not None:
        exc = exc.__cause__
    what = str(exc) or type(exc).__name__
    if isinstance(exc, asyncio.TimeoutError | OSError):  # aiohttp's connect errors are both
        import aiohttp

        if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
            return SendResult(Outcome.TRANSIENT, "connect_error", what)
    return SendResult(Outcome.UNKNOWN, "no_response", what)


NETWORK_ERRORS = (NetworkError, asyncio.TimeoutError)


class Http:
    """One aiohttp session per provider (httpx's pool cost ~5 ms CPU per call at 64 in flight)."""

    def __init__(self, base: str, timeout: float) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self, params: dict[str, str] | None, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[int, bytes]:
        """POST to the provider's root path; (status, body). Raises NetworkError (or a
        timeout) when the call fails."""
        import aiohttp

        if self._session is None:
            t = aiohttp.ClientTimeout(total=self.timeout, sock_connect=min(self.timeout, 3.0))
            connector = aiohttp.TCPConnector(limit=256, force_close=False)
            self._session = aiohttp.ClientSession(connector=connector, timeout=t)
        try:
            async with self._session.post(
                self.base + "/", params=params, headers=headers, data=body
            ) as r:
                return r.status, await r.read()
        except aiohttp.ClientError as exc:
            raise NetworkError(str(exc)) from exc

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()


class CallbackError(ValueError):
    """A callback body without the provider's documented shape; ``field`` names the value."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


_JSON_TYPE = {dict: "an object", list: "a list", bool: "true/false", int: "a number",
              float: "a number", str: "a string"}  # fmt: skip


def as_list(
    data: Any, strings: tuple[str, ...] = (), flags: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """A callback's items (a JSON array, or one object): ``strings`` fields are strings or
    null, ``flags`` fields true/false or null; anything else is a CallbackError."""
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise CallbackError(
            None, "a callback body is a JSON object or an array of objects, as the provider sends"
        )
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            got = _JSON_TYPE.get(type(item), "null")
            raise CallbackError(f"{i}", f"item {i} is {got}; each item is a JSON object")
        for names, want, ok in ((strings, "a string", str), (flags, "true or false", bool)):
            for name in names:
                value = item.get(name)
                if value is not None and not isinstance(value, ok):
                    got = _JSON_TYPE.get(type(value), "another type")
                    raise CallbackError(
                        f"{i}.{name}",
                        f"{i}.{name} is {got}; the provider sends {want}. "
                        "Send callbacks in the provider's documented format",
                    )
    return items
