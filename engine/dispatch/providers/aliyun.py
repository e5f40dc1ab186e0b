"""Aliyun Dysmsapi (2017-05-25) over its RPC wire format: SendSms, QuerySendDetails, callbacks.

This client speaks the documented wire format without ACS3 request signing, so it works against
the loopback fake only; production use goes through the official SDK (optional extra [aliyun]).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from engine.dispatch.message import OutboxRow, Outcome
from engine.dispatch.phone import national
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
from engine.message import BEIJING

VERSION = "2017-05-25"
LOOKUP_PAGE = 50  # QuerySendDetails' largest page
MAX_LOOKUP_PAGES = 20  # 1,000 messages to one number in a day is more than any real sender
# a send can reach the provider this long after its claim (rate-limit wait, timeouts): the lookup
# also reads the next day when this window crosses midnight
SEND_WINDOW_S = 300.0
CODES: dict[str, Outcome] = {
    "OK": Outcome.ACCEPTED,
    "isv.MOBILE_NUMBER_ILLEGAL": Outcome.PERMANENT,
    "isv.SMS_TEMPLATE_ILLEGAL": Outcome.PERMANENT,
    "isv.SMS_SIGNATURE_ILLEGAL": Outcome.PERMANENT,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": Outcome.PERMANENT,
    "isv.INVALID_JSON_PARAM": Outcome.PERMANENT,
    "isv.INVALID_PARAMETERS": Outcome.PERMANENT,
    "isv.PARAM_LENGTH_LIMIT": Outcome.PERMANENT,
    "isv.SMS_CONTENT_ILLEGAL": Outcome.CONTENT,
    "isv.BUSINESS_LIMIT_CONTROL": Outcome.RECIPIENT_THROTTLED,
    "isv.OUT_OF_SERVICE": Outcome.ACCOUNT,
    "isv.AMOUNT_NOT_ENOUGH": Outcome.ACCOUNT,
    "isv.DAY_LIMIT_CONTROL": Outcome.ACCOUNT,
    "isv.MONTH_LIMIT_CONTROL": Outcome.ACCOUNT,
    "isv.DENY_IP_RANGE": Outcome.ACCOUNT,
    "isv.ACCOUNT_NOT_EXISTS": Outcome.ACCOUNT,
    "isv.ACCOUNT_ABNORMAL": Outcome.ACCOUNT,
    # credentials and permissions: the account's problem, never the message's
    "InvalidAccessKeyId.": Outcome.ACCOUNT,
    "SignatureDoesNotMatch": Outcome.ACCOUNT,
    "Forbidden.": Outcome.ACCOUNT,
    "isp.": Outcome.TRANSIENT,
    "Throttling.": Outcome.PROVIDER_THROTTLED,
}


def _result(status: int, data: Any) -> SendResult:
    code = str(data.get("Code", "")) if isinstance(data, dict) else ""
    msg = str(data.get("Message", "")) if isinstance(data, dict) else ""
    rid = data.get("RequestId") if isinstance(data, dict) else None
    if status >= 500:
        return SendResult(Outcome.TRANSIENT, code or f"http_{status}", msg, request_id=rid)
    outcome = classify(code, CODES, Outcome.UNKNOWN)
    ref = data.get("BizId") if outcome is Outcome.ACCEPTED else None
    return SendResult(outcome, code, msg, ref, rid)


def send_days(row: OutboxRow) -> list[str]:
    """The Beijing day(s), YYYYMMDD, on which a claimed message can have reached the provider."""
    sent = row.claimed_at if row.claimed_at is not None else row.created_at
    days = (
        datetime.fromtimestamp(t, BEIJING).strftime("%Y%m%d") for t in (sent, sent + SEND_WINDOW_S)
    )
    return list(dict.fromkeys(days))


class AliyunProvider:
    """Aliyun SMS at ``endpoint`` (http://127.0.0.1:PORT for the fake)."""

    def __init__(
        self, endpoint: str, *, timeout: float = 5.0, max_qps: float = 5000.0, name: str = "aliyun"
    ) -> None:
        self.name, self.max_qps = name, max_qps
        self._http = Http(endpoint, timeout)

    async def _call(self, action: str, params: dict[str, str]) -> tuple[int, Any]:
        headers = {"x-acs-action": action, "x-acs-version": VERSION}
        status, body = await self._http.post(params, headers)
        try:
            return status, orjson.loads(body)
        except orjson.JSONDecodeError:
            return status, {}

    async def send(self, row: OutboxRow, tpl: ProviderTemplate) -> SendResult:
        """SendSms for one number; our message id goes as OutId."""
        params = {
            "PhoneNumbers": national(row.phone),
            "SignName": row.sign_name,
            "TemplateCode": tpl.code,
            "TemplateParam": orjson.dumps(row.params).decode(),
            "OutId": row.id,
        }
        try:
            status, data = await self._call("SendSms", params)
        except NETWORK_ERRORS as exc:
            return network_outcome(exc)
        return _result(status, data)

    async def lookup(self, row: OutboxRow) -> SendResult | None:
        """QuerySendDetails for the number on the day(s) it was sent; match our OutId.

        The send day is the day a worker claimed the message, not the day it was queued
        (deferred, scheduled and quiet-hours traffic goes out later), plus the next day when
        the call could have crossed midnight; every page of each day is read.
        """
        for day in send_days(row):
            for page in range(1, MAX_LOOKUP_PAGES + 1):
                params = {"PhoneNumber": national(row.phone), "SendDate": day,
                          "PageSize": str(LOOKUP_PAGE), "CurrentPage": str(page)}  # fmt: skip
                try:
                    status, data = await self._call("QuerySendDetails", params)
                except NETWORK_ERRORS as exc:
                    return network_outcome(exc)
                if status != 200 or data.get("Code") != "OK":
                    if status >= 500:
                        return _result(status, data)
                    return SendResult(Outcome.UNKNOWN, "query")
                details = data.get("SmsSendDetailDTOs", {}).get("SmsSendDetailDTO", [])
                if any(d.get("OutId") == row.id for d in details):
                    return SendResult(Outcome.ACCEPTED, "OK", "found by QuerySendDetails")
                total = data.get("TotalCount")
                if not details or not isinstance(total, int) or page * LOOKUP_PAGE >= total:
                    break
        return None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.close()


def _parts(value: Any) -> int | None:
    """``sms_size`` ("1", "2" ...): the segments Aliyun billed; None when absent or not a count."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() else None


def parse_receipts(data: Any) -> list[Receipt]:
    """SmsReport: [{phone_number, success, err_code, biz_id, out_id, report_time, ...}]."""
    out = []
    strings = ("biz_id", "out_id", "phone_number", "err_code", "report_time")
    for d in as_list(data, strings, ("success",)):
        out.append(
            Receipt(
                provider="aliyun",
                provider_ref=d.get("biz_id") or None,
                out_id=d.get("out_id") or None,
                phone=d.get("phone_number"),
                delivered=bool(d.get("success")),
                code=str(d.get("err_code", "")),
                reported_at=d.get("report_time"),
                raw=orjson.dumps(d).decode(),
                billed_parts=_parts(d.get("sms_size")),
            )
        )
    return out


def parse_inbound(data: Any) -> list[Inbound]:
    """SmsUp: [{phone_number, content, sign_name, send_time, dest_code, sequence_id}]."""
    return [
        Inbound("aliyun", str(d.get("phone_number", "")), d.get("sign_name"),
                str(d.get("content", "")), orjson.dumps(d).decode())
        for d in as_list(data, ("phone_number", "sign_name", "content"))
    ]  # fmt: skip


CALLBACKS = Callbacks(parse_receipts, parse_inbound, {"code": 0, "msg": "接收成功"})
