"""Tencent Cloud SMS (2021-01-11) over its JSON wire format: SendSms, status pull, callbacks.

Speaks the documented wire format without TC3 signing: for the loopback fake only; production
use goes through the official SDK (optional extra [tencent]). Receipts carry only ``sid``
(= SerialNo), so they match on the provider id, and may arrive before it is stored (orphans).
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from engine.dispatch.message import OutboxRow, Outcome
from engine.dispatch.providers.base import (
    NETWORK_ERRORS,
    Callbacks,
    Http,
    Inbound,
    SendResult,
    as_list,
    classify,
    network_outcome,
)
from engine.dispatch.send_record import Receipt
from engine.dispatch.templates import ProviderTemplate

VERSION = "2021-01-11"
LOOKUP_PAGE = 100  # PullSmsSendStatusByPhoneNumber's largest Limit
MAX_LOOKUP_PAGES = 10
CODES: dict[str, Outcome] = {
    "Ok": Outcome.ACCEPTED,
    "InvalidParameterValue.IncorrectPhoneNumber": Outcome.PERMANENT,
    "FailedOperation.PhoneNumberParseFail": Outcome.PERMANENT,
    "FailedOperation.TemplateIncorrectOrUnapproved": Outcome.PERMANENT,
    "FailedOperation.SignatureIncorrectOrUnapproved": Outcome.PERMANENT,
    "InvalidParameterValue.TemplateParameterFormatError": Outcome.PERMANENT,
    "FailedOperation.ContainSensitiveWord": Outcome.CONTENT,
    "FailedOperation.PhoneNumberInBlacklist": Outcome.SUPPRESSED,
    "FailedOperation.MarketingSendTimeConstraint": Outcome.WINDOW,
    "LimitExceeded.PhoneNumber": Outcome.RECIPIENT_THROTTLED,
    "LimitExceeded.": Outcome.ACCOUNT,
    "FailedOperation.InsufficientBalanceInSmsPackage": Outcome.ACCOUNT,
    # credentials and permissions: the account's problem, never the message's
    "AuthFailure.": Outcome.ACCOUNT,
    "UnauthorizedOperation.": Outcome.ACCOUNT,
    "InternalError.": Outcome.TRANSIENT,
    "RequestLimitExceeded": Outcome.PROVIDER_THROTTLED,
}


def _classify(code: str) -> Outcome:
    if code.startswith("LimitExceeded.PhoneNumber"):
        return Outcome.RECIPIENT_THROTTLED
    return classify(code, CODES, Outcome.UNKNOWN)


class TencentProvider:
    """Tencent SMS at ``endpoint`` (http://127.0.0.1:PORT for the fake)."""

    def __init__(
        self,
        endpoint: str,
        *,
        app_id: str = "1400000000",
        timeout: float = 5.0,
        max_qps: float = 3000.0,
        name: str = "tencent",
    ) -> None:
        self.name, self.max_qps, self.app_id = name, max_qps, app_id
        self._http = Http(endpoint, timeout)

    async def _call(self, action: str, body: dict[str, Any]) -> tuple[int, Any]:
        headers = {"X-TC-Action": action, "X-TC-Version": VERSION,
                   "Content-Type": "application/json"}  # fmt: skip
        status, raw = await self._http.post(None, headers, orjson.dumps(body))
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = {}
        return status, data.get("Response", {}) if isinstance(data, dict) else {}

    async def send(self, row: OutboxRow, tpl: ProviderTemplate) -> SendResult:
        """SendSms for one number; our message id goes as SessionContext."""
        order = tpl.param_order or tuple(row.params)
        body = {
            "PhoneNumberSet": [row.phone],
            "SmsSdkAppId": self.app_id,
            "SignName": row.sign_name,
            "TemplateId": tpl.code,
            "TemplateParamSet": [row.params[k] for k in order],
            "SessionContext": row.id,
        }
        try:
            status, resp = await self._call("SendSms", body)
        except NETWORK_ERRORS as exc:
            return network_outcome(exc)
        rid = resp.get("RequestId")
        if "Error" in resp or status >= 500:
            err = resp.get("Error", {})
            code = str(err.get("Code", f"http_{status}"))
            outcome = Outcome.TRANSIENT if status >= 500 else _classify(code)
            return SendResult(outcome, code, str(err.get("Message", "")), request_id=rid)
        sent = (resp.get("SendStatusSet") or [{}])[0]
        code = str(sent.get("Code", ""))
        outcome = _classify(code)
        ref = sent.get("SerialNo") if outcome is Outcome.ACCEPTED else None
        return SendResult(outcome, code, str(sent.get("Message", "")), ref, rid, sent.get("Fee"))

    async def lookup(self, row: OutboxRow) -> SendResult | None:
        """PullSmsSendStatusByPhoneNumber since the message was claimed, every page; match
        SessionContext.

        Unconfirmed: whether the real pull carries SessionContext, and whether it lists a
        message before its carrier receipt exists.
        """
        sent = row.claimed_at if row.claimed_at is not None else row.created_at
        for page in range(MAX_LOOKUP_PAGES):
            body = {"BeginTime": int(sent) - 60, "Offset": page * LOOKUP_PAGE,
                    "Limit": LOOKUP_PAGE, "PhoneNumber": row.phone, "SmsSdkAppId": self.app_id,
                    "EndTime": int(time.time()) + 60}  # fmt: skip
            try:
                status, resp = await self._call("PullSmsSendStatusByPhoneNumber", body)
            except NETWORK_ERRORS as exc:
                return network_outcome(exc)
            if status != 200 or "Error" in resp:
                return SendResult(Outcome.UNKNOWN, "query")
            found = resp.get("PullSmsSendStatusSet") or []
            for d in found:
                if d.get("SessionContext") == row.id:
                    ref = d.get("SerialNo")
                    return SendResult(Outcome.ACCEPTED, "Ok", "found by status pull", ref)
            if len(found) < LOOKUP_PAGE:
                break
        return None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.close()


def parse_receipts(data: Any) -> list[Receipt]:
    """Status callback: [{sid, mobile, report_status SUCCESS/FAIL, errmsg, user_receive_time}]."""
    out = []
    strings = ("sid", "session_context", "mobile", "nationcode", "report_status", "errmsg",
               "user_receive_time")  # fmt: skip
    for d in as_list(data, strings):
        mobile = str(d.get("mobile", ""))
        out.append(
            Receipt(
                provider="tencent",
                provider_ref=d.get("sid") or None,
                out_id=d.get("session_context") or None,
                phone=f"+{d.get('nationcode', '86')}{mobile}" if mobile else None,
                delivered=d.get("report_status") == "SUCCESS",
                code=str(d.get("errmsg", "")),
                reported_at=d.get("user_receive_time"),
                raw=orjson.dumps(d).decode(),
            )
        )
    return out


def parse_inbound(data: Any) -> list[Inbound]:
    """Reply callback: {mobile, nationcode, sign, text, time, extend} (one or a list)."""
    out = []
    for d in as_list(data, ("mobile", "nationcode", "sign", "text")):
        mobile = str(d.get("mobile", ""))
        phone = f"+{d.get('nationcode', '86')}{mobile}"
        out.append(Inbound("tencent", phone, d.get("sign"), str(d.get("text", "")),
                           orjson.dumps(d).decode()))  # fmt: skip
    return out


CALLBACKS = Callbacks(parse_receipts, parse_inbound, {"result": 0, "errmsg": "OK"})
