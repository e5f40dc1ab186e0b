"""A real fake SMS provider on 127.0.0.1 speaking the Aliyun and Tencent wire formats.

Like GOV.UK Notify's research mode, the last four digits of a number pick the result:

    0001 invalid number        isv.MOBILE_NUMBER_ILLEGAL / InvalidParameterValue.Incorrect...
    0002 per-number limit      isv.BUSINESS_LIMIT_CONTROL / LimitExceeded.PhoneNumberDailyLimit
    0003 server error          HTTP 500 isp.SYSTEM_ERROR / InternalError.ServerError
    0004 accepted, then a failure receipt (MK:0001 / FAIL)
    0005 accepted; the receipt is pushed *before* the HTTP response
    0006 accepted, but the response hangs past any sane timeout (-> unknown)
    0007 accepted, the receipt is pushed twice
    0008 provider blacklist    (Tencent) FailedOperation.PhoneNumberInBlacklist
    0009 content filter        isv.SMS_CONTENT_ILLEGAL / FailedOperation.ContainSensitiveWord
    0010 account out of money  isv.OUT_OF_SERVICE / FailedOperation.InsufficientBalanceInSmsPackage
    0011 a code nobody knows   isv.SOMETHING_NEW / FailedOperation.SomethingNew (-> unknown)
    0012 wrong credentials     InvalidAccessKeyId.NotFound / AuthFailure.SecretIdNotFound

Everything else is accepted after ``latency_ms`` and a DELIVERED receipt follows. With a
behaviour file (engine.dispatch.behaviour) the rest is realistic instead: submit and receipt
latencies are lognormal, delivery depends on the number's carrier (engine.dispatch.carriers),
sends beyond ``qps_limit`` get the throttle code, texts with a ``content_filter`` word get the
content-filter code, and billed segments are reported (Aliyun's receipt ``sms_size``, Tencent's
``Fee``), failed messages included when ``bill_failed``. The fake renders the text from the
template book it was given (provider code -> text), or from the parameters alone. Receipts and
replies (``POST /_inject/mo``) are pushed in each provider's format to ``callback``
(``{callback}/receipts/{provider}``, ``{callback}/inbound/{provider}``), batched, retried a few
times on a compressed schedule. ``GET /_stats`` and ``GET /_accepted`` let tests assert that no
message was accepted twice; ``GET /_texts`` lists every text a send asked for.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.dispatch.behaviour import Behaviour
from engine.dispatch.callback_signing import sign
from engine.dispatch.carriers import carrier_of
from engine.dispatch.templates import TemplateBook
from engine.message import BEIJING

MAGIC: dict[str, tuple[str | None, str | None]] = {
    "0001": ("isv.MOBILE_NUMBER_ILLEGAL", "InvalidParameterValue.IncorrectPhoneNumber"),
    "0002": ("isv.BUSINESS_LIMIT_CONTROL", "LimitExceeded.PhoneNumberDailyLimit"),
    "0008": (None, "FailedOperation.PhoneNumberInBlacklist"),
    "0009": ("isv.SMS_CONTENT_ILLEGAL", "FailedOperation.ContainSensitiveWord"),
    "0010": ("isv.OUT_OF_SERVICE", "FailedOperation.InsufficientBalanceInSmsPackage"),
    "0011": ("isv.SOMETHING_NEW", "FailedOperation.SomethingNew"),
    "0012": ("InvalidAccessKeyId.NotFound", "AuthFailure.SecretIdNotFound"),
}
MAGIC_ACCEPTED = frozenset({"0004", "0005", "0006", "0007"})
THROTTLE = ("Throttling.User", "RequestLimitExceeded")  # over qps_limit
CONTENT = MAGIC["0009"]
# failure receipts (code, meaning) a behaviour file's undelivered messages get, and how often
FAILURES = (("MK:0001", "空号"), ("UNDELIV", "关机或停机"), ("DB:0141", "运营商黑名单"))
FAILURE_WEIGHTS = (0.5, 0.35, 0.15)
log = logging.getLogger("xinshi.fake_provider")
RETRY_S = (0.5, 2.0, 5.0)  # the providers' 1/5/10 min re-push, compressed


@dataclass(frozen=True)
class FakeConfig:
    """How the fake behaves."""

    latency_ms: float = 20.0
    jitter_ms: float = 5.0
    callback: str | None = None  # e.g. http://127.0.0.1:8000/v1/dispatch
    callback_secret: bytes | None = None  # signs each push (X-Xinshi-Signature)
    receipt_delay_s: float = 0.2
    hang_s: float = 30.0
    lookup_latency_ms: float = 0.0  # extra time each status query takes (a slow query API)
    behaviour: Behaviour | None = None  # realistic behaviour (replaces latency_ms, receipt_delay_s)
    # (provider, template code) -> (text with ${var}, Tencent's parameter order)
    templates: Mapping[tuple[str, str], tuple[str, tuple[str, ...] | None]] | None = None


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


def _now() -> str:
    return datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class FakeProvider:
    """The fake's state: what it accepted, and the receipts it still has to push."""

    def __init__(self, config: FakeConfig) -> None:
        self.config = config
        self.accepted: Counter[str] = Counter()  # our id (OutId / SessionContext) -> times
        self.by_phone: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.calls = 0
        self.pushed = 0
        self.push_failed = 0
        self.push_refused: Counter[str] = Counter()  # HTTP status of refused pushes -> times
        self.lookups = 0
        self.lookups_now = 0
        self.lookups_max = 0  # most status queries in flight at once
        self._seq = itertools.count(1)
        self._queue: asyncio.Queue[tuple[str, str, dict[str, Any], int]] = asyncio.Queue()
        self._http: httpx.AsyncClient | None = None
        b = config.behaviour
        self.rng = random.Random(b.seed if b else None)
        self.window: deque[float] = deque()  # send times in the last second (qps_limit)
        self.texts: list[str] = []  # every text a send asked for
        self.outcomes: Counter[str] = Counter()  # delivered, undelivered, throttled, content, ...
        self.billed_segments = 0

    # -- callbacks ------------------------------------------------------------------------

    async def _post(self, kind: str, provider: str, items: list[dict[str, Any]]) -> bool:
        if self.config.callback is None or self._http is None:
            return False
        body = orjson.dumps(items)
        headers = {"Content-Type": "application/json"}
        if self.config.callback_secret:  # signed now, so a re-push carries a fresh timestamp
            headers |= sign(self.config.callback_secret, int(time.time()), body)
        url = f"{self.config.callback}/{kind}/{provider}"
        try:
            r = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("push of %d %s to %s failed: %s", len(items), kind, url, type(exc).__name__)
            return False
        if r.status_code != 200:  # e.g. 401: the callback's token or signature is wrong
            self.push_refused[str(r.status_code)] += len(items)
            log.warning("push of %d %s to %s refused: HTTP %d %s", len(items), kind, url,
                        r.status_code, r.text[:200])  # fmt: skip
        return r.status_code == 200

    def _later(self, delay: float, kind: str, provider: str, item: dict[str, Any], n: int) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(delay, self._queue.put_nowait, (kind, provider, item, n))

    async def pusher(self) -> None:
        """Push queued receipts/replies in batches of up to 100 per provider."""
        while True:
            first = await self._queue.get()
            batch = [first]
            while len(batch) < 100 and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            groups: dict[tuple[str, str], list[tuple[dict[str, Any], int]]] = defaultdict(list)
            for kind, provider, item, n in batch:
                groups[(kind, provider)].append((item, n))
            for (kind, provider), items in groups.items():
                if await self._post(kind, provider, [i for i, _ in items]):
                    self.pushed += len(items)
                    continue
                for item, n in items:
                    if n < len(RETRY_S):
                        self._later(RETRY_S[n], kind, provider, item, n + 1)
                    else:
                        self.push_failed += 1

    def _receipt(self, rec: dict[str, Any], ok: bool, delay: float | None = None) -> None:
        provider, fail = rec["provider"], rec["fail"]
        if provider == "aliyun":
            item: dict[str, Any] = {
                "phone_number": rec["phone"], "send_time": rec["time"], "report_time": _now(),
                "success": ok, "err_code": "DELIVERED" if ok else fail[0],
                "err_msg": "用户接收成功" if ok else fail[1], "sms_size": str(rec["billed"]),
                "biz_id": rec["ref"], "out_id": rec["out_id"],
            }  # fmt: skip
        else:  # Tencent's documented status callback has no SessionContext: match on sid
            item = {
                "user_receive_time": _now(), "nationcode": "86", "mobile": rec["phone"],
                "report_status": "SUCCESS" if ok else "FAIL",
                "errmsg": "DELIVRD" if ok else fail[0],
                "description": "用户短信送达成功" if ok else fail[1], "sid": rec["ref"],
            }  # fmt: skip
        self._later(self.config.receipt_delay_s if delay is None else delay,
                    "receipts", provider, item, 0)  # fmt: skip

    # -- sending --------------------------------------------------------------------------

    async def _latency(self) -> None:
        c = self.config
        if c.behaviour is not None:
            await asyncio.sleep(c.behaviour.submit_latency_ms.draw(self.rng))
            return
        ms = max(0.0, random.gauss(c.latency_ms, c.jitter_ms)) if c.latency_ms else 0.0
        if ms:
            await asyncio.sleep(ms / 1000)

    def _text(self, provider: str, code: str, params: Mapping[str, str] | list[str]) -> str:
        """The text a send asks for: its template filled in (or its parameters alone)."""
        tpl = (self.config.templates or {}).get((provider, code))
        values = dict(params) if isinstance(params, Mapping) else {}
        if tpl is not None and not values and tpl[1] is not None:  # Tencent: by position
            values = dict(zip(tpl[1], [str(p) for p in params], strict=False))
        text = tpl[0] if tpl is not None else " ".join(map(str, values.values() or params))
        for name, value in values.items():
            text = text.replace("${" + name + "}", str(value))
        self.texts.append(text)
        return text

    def _refuse(self, text: str) -> int | None:
        """Index into THROTTLE/CONTENT codes' pair: 0 throttle, 1 content filter, None: take it."""
        b = self.config.behaviour
        if b is None:
            return None
        if b.qps_limit is not None:
            now = time.monotonic()
            while self.window and self.window[0] <= now - 1:
                self.window.popleft()
            if len(self.window) >= b.qps_limit:
                self.outcomes["throttled"] += 1
                return 0
            self.window.append(now)
        if b.filtered(text):
            self.outcomes["content"] += 1
            return 1
        return None

    def _fate(self, phone: str, text: str) -> tuple[bool, float | None, int]:
        """(delivered, receipt delay or None for the default, billed segments) of a send."""
        b = self.config.behaviour
        if b is None:
            return True, None, 1
        sends = len(self.by_phone[phone])  # earlier sends to this number
        # seeded: a number's n-th send has the same fate in every run, whatever the order
        draw = random.Random(f"{b.seed}:{phone}:{sends}").random() if b.seed is not None else None
        ok = (self.rng.random() if draw is None else draw) < getattr(
            b.delivery_rate, carrier_of(phone), 1.0
        )
        billed = b.segments(text) if ok or b.bill_failed else 0
        self.billed_segments += billed
        self.outcomes["delivered" if ok else "undelivered"] += 1
        return ok, b.receipt_latency_ms.draw(self.rng), billed

    async def _lookup_latency(self) -> None:
        self.lookups += 1
        self.lookups_now += 1
        self.lookups_max = max(self.lookups_max, self.lookups_now)
        try:
            if self.config.lookup_latency_ms:
                await asyncio.sleep(self.config.lookup_latency_ms / 1000)
        finally:
            self.lookups_now -= 1

    def _accept(
        self, provider: str, phone: str, out_id: str, template: str, text: str
    ) -> dict[str, Any]:
        n = next(self._seq)
        ref = f"{n:012d}^0" if provider == "aliyun" else f"2433:{n:012d}"
        ok, delay, billed = (
            (True, None, 1) if phone[-4:] in MAGIC_ACCEPTED else self._fate(phone, text)
        )
        fail = FAILURES[0] if ok else self.rng.choices(FAILURES, FAILURE_WEIGHTS)[0]
        rec = {"provider": provider, "phone": phone, "out_id": out_id, "ref": ref,
               "template": template, "time": _now(), "date": datetime.now(BEIJING)
               .strftime("%Y%m%d"), "at": time.time(), "ok": ok, "delay": delay,
               "billed": billed, "fail": fail}  # fmt: skip
        self.accepted[out_id] += 1
        self.by_phone[phone].append(rec)
        return rec

    async def _deliver(self, rec: dict[str, Any], magic: str) -> None:
        if magic == "0005":  # the receipt races ahead of the response
            self._receipt(rec, True, delay=0)
            await asyncio.sleep(0.05)
        elif magic == "0006":  # a stuck provider: its receipt comes after the hang
            self._receipt(rec, True, delay=self.config.hang_s)
        elif magic in ("0004", "0007"):
            self._receipt(rec, magic != "0004")
            if magic == "0007":
                self._receipt(rec, True, delay=self.config.receipt_delay_s * 2)
        else:
            self._receipt(rec, rec["ok"], rec["delay"])
        if magic == "0006":
            await asyncio.sleep(self.config.hang_s)

    async def aliyun(self, request: Request, action: str) -> Response:
        """Aliyun RPC: action in x-acs-action, parameters in the query string."""
        q = request.query_params
        rid = f"FAKE-{next(self._seq)}"
        if action == "QuerySendDetails":
            await self._lookup_latency()
            phone, day = q.get("PhoneNumber", ""), q.get("SendDate", "")
            dtos = [{"PhoneNum": r["phone"], "SendStatus": 3, "ErrCode": "DELIVERED",
                     "TemplateCode": r["template"], "SendDate": r["time"], "OutId": r["out_id"]}
                    for r in self.by_phone.get(phone, [])
                    if r["date"] == day and r["provider"] == "aliyun"]  # fmt: skip
            size = max(1, min(50, int(q.get("PageSize") or 50)))  # Aliyun's bounds: 1..50
            first = (max(1, int(q.get("CurrentPage") or 1)) - 1) * size
            page = {"SmsSendDetailDTO": dtos[first : first + size]}
            return _json({"Code": "OK", "Message": "OK", "RequestId": rid,
                          "TotalCount": len(dtos), "SmsSendDetailDTOs": page})  # fmt: skip
        if action != "SendSms":
            return _json({"Code": "InvalidAction.NotFound", "RequestId": rid}, 404)
        phones = [p for p in q.get("PhoneNumbers", "").split(",") if p]
        if not phones or not q.get("TemplateCode") or not q.get("SignName"):
            return _json({"Code": "isv.INVALID_PARAMETERS", "Message": "missing parameter",
                          "RequestId": rid}, 400)  # fmt: skip
        try:
            params = orjson.loads(q.get("TemplateParam", "{}"))
        except orjson.JSONDecodeError:
            params = None
        if not isinstance(params, dict) or any(not isinstance(v, str) for v in params.values()):
            why = "JSON参数不合法，只接受字符串值"
            return _json({"Code": "isv.INVALID_JSON_PARAM", "Message": why, "RequestId": rid})
        text = self._text("aliyun", q["TemplateCode"], params)
        magic = phones[0][-4:]
        if magic == "0003":
            return _json({"Code": "isp.SYSTEM_ERROR", "Message": "系统错误", "RequestId": rid}, 500)
        code = MAGIC.get(magic, (None, None))[0]
        if code:  # credentials errors come with HTTP 404, as Aliyun's gateway answers them
            http = 404 if code.startswith("InvalidAccessKeyId") else 200
            return _json({"Code": code, "Message": code, "RequestId": rid}, http)
        refused = self._refuse(text)
        if refused == 0:  # Aliyun answers flow control with HTTP 400
            return _json({"Code": THROTTLE[0], "Message": "触发流控", "RequestId": rid}, 400)
        if refused == 1:
            return _json({"Code": CONTENT[0], "Message": "短信内容包含禁止发送内容",
                          "RequestId": rid})  # fmt: skip
        rec = {}
        for phone in phones:
            rec = self._accept("aliyun", phone, q.get("OutId", ""), q["TemplateCode"], text)
            await self._deliver(rec, phone[-4:])
        return _json({"Code": "OK", "Message": "OK", "BizId": rec["ref"], "RequestId": rid})

    async def tencent(self, request: Request, action: str) -> Response:
        """Tencent API 3.0: action in X-TC-Action, parameters as a JSON body."""
        rid = f"fake-{next(self._seq)}"
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            err = {"Code": "InvalidParameter", "Message": "body is not a JSON object"}
            return _json({"Response": {"Error": err, "RequestId": rid}})
        if action == "PullSmsSendStatusByPhoneNumber":
            await self._lookup_latency()
            phone = str(body.get("PhoneNumber", ""))[-11:]
            rows = [{"SerialNo": r["ref"], "PhoneNumber": f"+86{r['phone']}", "CountryCode": "86",
                     "SubscriberNumber": r["phone"], "ReportStatus": "SUCCESS",
                     "Description": "DELIVRD", "SessionContext": r["out_id"],
                     "UserReceiveTime": int(r["at"])}
                    for r in self.by_phone.get(phone, [])
                    if r["provider"] == "tencent"]  # fmt: skip
            first, limit = int(body.get("Offset") or 0), int(body.get("Limit") or 100)
            rows = rows[first : first + min(100, max(1, limit))]
            return _json({"Response": {"PullSmsSendStatusSet": rows, "RequestId": rid}})
        if action != "SendSms":
            err = {"Code": "InvalidAction", "Message": f"unknown action {action}"}
            return _json({"Response": {"Error": err, "RequestId": rid}})
        numbers = [str(p) for p in body.get("PhoneNumberSet") or []]
        if not numbers or not body.get("TemplateId"):
            err = {"Code": "MissingParameter", "Message": "PhoneNumberSet and TemplateId"}
            return _json({"Response": {"Error": err, "RequestId": rid}})
        params = [str(p) for p in body.get("TemplateParamSet") or []]
        text = self._text("tencent", str(body["TemplateId"]), params)
        if numbers[0].endswith("0003"):
            err = {"Code": "InternalError.ServerError", "Message": "服务内部错误"}
            return _json({"Response": {"Error": err, "RequestId": rid}}, 500)
        if numbers[0].endswith("0012"):  # credentials: a request error, not a per-number status
            err = {"Code": "AuthFailure.SecretIdNotFound", "Message": "SecretId不存在"}
            return _json({"Response": {"Error": err, "RequestId": rid}})
        refused = self._refuse(text)
        if refused == 0:
            err = {"Code": THROTTLE[1], "Message": "请求频率超过限制"}
            return _json({"Response": {"Error": err, "RequestId": rid}})
        out = []
        for number in numbers:
            phone, magic = number[-11:], number[-4:]
            code = CONTENT[1] if refused == 1 else MAGIC.get(magic, (None, None))[1]
            status = {"PhoneNumber": number, "SessionContext": body.get("SessionContext", ""),
                      "IsoCode": "CN", "Fee": 0, "SerialNo": "", "Code": code or "Ok",
                      "Message": code or "send success"}  # fmt: skip
            if code is None:
                rec = self._accept("tencent", phone, str(body.get("SessionContext", "")),
                                   str(body["TemplateId"]), text)  # fmt: skip
                status.update(SerialNo=rec["ref"], Fee=rec["billed"])
                await self._deliver(rec, magic)
            out.append(status)
        return _json({"Response": {"SendStatusSet": out, "RequestId": rid}})

    async def handle(self, request: Request) -> Response:
        """One provider API call, after the configured latency."""
        self.calls += 1
        await self._latency()
        if action := request.headers.get("x-acs-action"):
            return await self.aliyun(request, action)
        if action := request.headers.get("x-tc-action"):
            return await self.tencent(request, action)
        return _json({"error": "send x-acs-action (Aliyun) or X-TC-Action (Tencent)"}, 400)

    async def inject_mo(self, request: Request) -> Response:
        """Make a user reply: {"provider", "phone" (11 digits), "text", "sign_name"}."""
        d = orjson.loads(await request.body())
        provider, phone = d.get("provider", "aliyun"), str(d["phone"])[-11:]
        if provider == "aliyun":
            item = {"phone_number": phone, "send_time": _now(), "content": d["text"],
                    "sign_name": d.get("sign_name"), "dest_code": "1234",
                    "sequence_id": next(self._seq)}  # fmt: skip
        else:
            item = {"extend": "", "mobile": phone, "nationcode": "86", "sign": d.get("sign_name"),
                    "text": d["text"], "time": int(time.time())}  # fmt: skip
        ok = await self._post("inbound", provider, [item])
        return _json({"pushed": ok}, 200 if ok else 502)

    async def stats(self, request: Request) -> Response:
        """Counts: calls, accepted, duplicates (ids accepted more than once), receipts pushed."""
        dups = sorted(k for k, n in self.accepted.items() if n > 1)
        return _json({"calls": self.calls, "accepted": sum(self.accepted.values()),
                      "unique": len(self.accepted), "duplicates": dups,
                      "receipts_pushed": self.pushed, "receipts_failed": self.push_failed,
                      "receipts_pending": self._queue.qsize(),
                      "receipts_refused": dict(self.push_refused), "lookups": self.lookups,
                      "lookups_max_concurrent": self.lookups_max,
                      "outcomes": dict(self.outcomes), "billed_segments": self.billed_segments,
                      "billed_fen": self._billed_fen()})  # fmt: skip

    def _billed_fen(self) -> float | None:
        b = self.config.behaviour
        return None if b is None else round(self.billed_segments * b.price_fen_per_segment, 2)

    async def sent_texts(self, request: Request) -> Response:
        """Every text a send asked for (accepted or not), in arrival order."""
        return _json(self.texts)

    async def accepted_ids(self, request: Request) -> Response:
        """Every id the fake accepted, with how many times."""
        return _json(dict(self.accepted))


def template_texts(
    book: TemplateBook,
) -> dict[tuple[str, str], tuple[str, tuple[str, ...] | None]]:
    """(provider, template code) -> (text, parameter order) for every approved template."""
    return {
        (name, pt.code): (t.text, pt.param_order)
        for t in book.templates.values()
        for name, pt in t.providers.items()
    }


def create_fake_app(config: FakeConfig | None = None) -> Starlette:
    """The fake provider as an ASGI app (serve it with uvicorn)."""
    fake = FakeProvider(config or FakeConfig())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(timeout=5, limits=limits) as http:
            fake._http = http
            task = asyncio.create_task(fake.pusher())
            yield
            task.cancel()

    routes = [
        Route("/", fake.handle, methods=["POST"]),
        Route("/_inject/mo", fake.inject_mo, methods=["POST"]),
        Route("/_stats", fake.stats),
        Route("/_accepted", fake.accepted_ids),
        Route("/_texts", fake.sent_texts),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.fake = fake
    return app
