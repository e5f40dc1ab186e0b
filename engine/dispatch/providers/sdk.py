"""Adapters over the official SDKs (optional extras ``[aliyun]``, ``[tencent]``).

They sign requests (ACS3 / TC3), so they are what production uses; tests point them at the
loopback fake (both SDKs accept an ``http://127.0.0.1:PORT`` endpoint). SDK retries stay off:
a retry after a timeout could send twice, and the worker decides retries itself.
Credentials: XINSHI_ALIYUN_ACCESS_KEY_ID / _SECRET, XINSHI_TENCENT_SECRET_ID / _KEY,
XINSHI_TENCENT_SMS_APP_ID.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any
from urllib.parse import urlsplit

import orjson

from engine.dispatch.message import OutboxRow, Outcome
from engine.dispatch.phone import national
from engine.dispatch.providers import aliyun, tencent
from engine.dispatch.providers.base import SendResult, classify
from engine.dispatch.templates import ProviderTemplate


class SdkMissingError(ImportError):
    """The optional extra is not installed."""


def _endpoint(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme or "https", parts.netloc or parts.path


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: the Tea SDK's ``inner_exception``, ``__cause__`` and
    ``__context__`` (the Tencent SDK raises its own exception inside ``except``)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 16:
        e = todo.pop()
        if any(e is s for s in seen):
            continue
        seen.append(e)
        for nxt in (getattr(e, "inner_exception", None), e.__cause__, e.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
        # urllib3 keeps the socket error of a failed connection in MaxRetryError.reason
        reason = getattr(e, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        todo.extend(a for a in e.args if isinstance(a, BaseException))
    return seen


def _never_left(e: BaseException) -> bool:
    """A connection that was never made: refused, unreachable, DNS, or a connect timeout."""
    if isinstance(e, ConnectionRefusedError | socket.gaierror):
        return True
    names = {c.__name__ for c in type(e).__mro__}
    # aiohttp (Aliyun's async SDK), requests and urllib3 (Tencent's SDK), by class name so
    # that neither library has to be importable here
    return bool(names & {"ClientConnectorError", "ConnectionTimeoutError", "ConnectTimeout",
                         "NewConnectionError", "ConnectTimeoutError"})  # fmt: skip


def _exc_outcome(exc: BaseException, code: str) -> SendResult:
    """A network failure, classified by the exception types it wraps: a request that never
    left can be retried (transient); anything else may have reached the provider (unknown:
    reconcile, never blindly re-send)."""
    text = str(exc)[:200]
    if any(_never_left(e) for e in _causes(exc)):
        return SendResult(Outcome.TRANSIENT, code or "connect_error", text)
    return SendResult(Outcome.UNKNOWN, "no_response", text)


class AliyunSdkProvider:
    """Aliyun SMS through ``alibabacloud-dysmsapi20170525`` (async methods)."""

    def __init__(self, endpoint: str, *, timeout: float = 5.0, max_qps: float = 5000.0) -> None:
        try:
            from alibabacloud_dysmsapi20170525 import models
            from alibabacloud_dysmsapi20170525.client import Client
            from alibabacloud_tea_openapi.models import Config
            from alibabacloud_tea_util.models import RuntimeOptions
        except ImportError:
            raise SdkMissingError(
                "install the Aliyun extra: pip install 'xinshi[aliyun]'"
            ) from None
        self.name, self.max_qps = "aliyun", max_qps
        protocol, host = _endpoint(endpoint)
        self._models = models
        self._client = Client(Config(
            access_key_id=os.environ.get("XINSHI_ALIYUN_ACCESS_KEY_ID", "fake"),
            access_key_secret=os.environ.get("XINSHI_ALIYUN_ACCESS_KEY_SECRET", "fake"),
            endpoint=host, protocol=protocol,
        ))  # fmt: skip
        ms = int(timeout * 1000)
        self._runtime = RuntimeOptions(read_timeout=ms, connect_timeout=min(ms, 3000),
                                       autoretry=False)  # fmt: skip

    async def send(self, row: OutboxRow, tpl: ProviderTemplate) -> SendResult:
        """SendSms with our id as OutId."""
        req = self._models.SendSmsRequest(
            phone_numbers=national(row.phone), sign_name=row.sign_name, template_code=tpl.code,
            template_param=orjson.dumps(row.params).decode(), out_id=row.id,
        )  # fmt: skip
        try:
            r = await self._client.send_sms_with_options_async(req, self._runtime)
        except Exception as exc:  # the SDK's exception tree: server (5xx), client (4xx), network
            code = str(getattr(exc, "code", "") or "")
            status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
            if code and code != "None":
                if isinstance(status, int) and status >= 500:
                    return SendResult(Outcome.TRANSIENT, code, str(exc)[:200])
                return SendResult(
                    classify(code, aliyun.CODES, Outcome.UNKNOWN), code, str(exc)[:200]
                )
            return _exc_outcome(exc, "")
        body = r.body
        outcome = classify(body.code or "", aliyun.CODES, Outcome.UNKNOWN)
        ref = body.biz_id if outcome is Outcome.ACCEPTED else None
        return SendResult(outcome, body.code or "", body.message or "", ref, body.request_id)

    async def lookup(self, row: OutboxRow) -> SendResult | None:
        """QuerySendDetails on the day(s) it was sent, every page; match OutId."""
        for day in aliyun.send_days(row):
            for page in range(1, aliyun.MAX_LOOKUP_PAGES + 1):
                req = self._models.QuerySendDetailsRequest(
                    phone_number=national(row.phone), send_date=day,
                    page_size=aliyun.LOOKUP_PAGE, current_page=page,
                )  # fmt: skip
                try:
                    r = await self._client.query_send_details_with_options_async(req, self._runtime)
                except Exception as exc:
                    return SendResult(Outcome.UNKNOWN, "query", str(exc)[:200])
                dtos = r.body.sms_send_detail_dtos
                details = (dtos.sms_send_detail_dto if dtos else None) or []
                if any(d.out_id == row.id for d in details):
                    return SendResult(Outcome.ACCEPTED, "OK", "found by QuerySendDetails")
                total = int(r.body.total_count or 0)
                if not details or page * aliyun.LOOKUP_PAGE >= total:
                    break
        return None

    async def aclose(self) -> None:
        """Nothing to close (the SDK manages its sessions)."""


class TencentSdkProvider:
    """Tencent SMS through ``tencentcloud-sdk-python-sms`` (sync: calls run in threads)."""

    def __init__(self, endpoint: str, *, timeout: float = 5.0, max_qps: float = 3000.0) -> None:
        try:
            from tencentcloud.common import credential
            from tencentcloud.common.profile.client_profile import ClientProfile
            from tencentcloud.common.profile.http_profile import HttpProfile
            from tencentcloud.sms.v20210111 import models, sms_client
        except ImportError:
            raise SdkMissingError(
                "install the Tencent extra: pip install 'xinshi[tencent]'"
            ) from None
        self.name, self.max_qps = "tencent", max_qps
        protocol, host = _endpoint(endpoint)
        self.app_id = os.environ.get("XINSHI_TENCENT_SMS_APP_ID", "1400000000")
        self._models = models
        http = HttpProfile(protocol=protocol, endpoint=host, reqTimeout=max(1, round(timeout)))
        profile = ClientProfile(httpProfile=http)
        secret_id = os.environ.get("XINSHI_TENCENT_SECRET_ID", "fake")
        cred = credential.Credential(secret_id, os.environ.get("XINSHI_TENCENT_SECRET_KEY", "fake"))
        self._client = sms_client.SmsClient(cred, "ap-guangzhou", profile)

    def _send(self, row: OutboxRow, tpl: ProviderTemplate) -> SendResult:
        req = self._models.SendSmsRequest()
        order = tpl.param_order or tuple(row.params)
        req.PhoneNumberSet, req.SmsSdkAppId, req.SignName = [row.phone], self.app_id, row.sign_name
        req.TemplateId, req.SessionContext = tpl.code, row.id
        req.TemplateParamSet = [row.params[k] for k in order]
        try:
            resp = self._client.SendSms(req)
        except Exception as exc:  # TencentCloudSDKException: .code says which
            code = str(getattr(exc, "code", "") or "")
            if code == "ClientNetworkError":
                return _exc_outcome(exc, code)
            if code == "ServerNetworkError" or code.startswith("InternalError"):
                return SendResult(Outcome.TRANSIENT, code, str(exc)[:200])
            return SendResult(classify(code, tencent.CODES, Outcome.UNKNOWN), code, str(exc)[:200])
        s: Any = resp.SendStatusSet[0]
        outcome = (Outcome.RECIPIENT_THROTTLED if s.Code.startswith("LimitExceeded.PhoneNumber")
                   else classify(s.Code, tencent.CODES, Outcome.UNKNOWN))  # fmt: skip
        ref = s.SerialNo if outcome is Outcome.ACCEPTED else None
        return SendResult(outcome, s.Code, s.Message or "", ref, resp.RequestId, s.Fee)

    async def send(self, row: OutboxRow, tpl: ProviderTemplate) -> SendResult:
        """SendSms with our id as SessionContext (in a worker thread)."""
        return await asyncio.to_thread(self._send, row, tpl)

    def _lookup(self, row: OutboxRow) -> SendResult | None:
        import time

        req = self._models.PullSmsSendStatusByPhoneNumberRequest()
        sent = row.claimed_at if row.claimed_at is not None else row.created_at
        req.BeginTime, req.EndTime = int(sent) - 60, int(time.time()) + 60
        req.Offset, req.Limit, req.PhoneNumber, req.SmsSdkAppId = 0, 100, row.phone, self.app_id
        try:
            resp = self._client.PullSmsSendStatusByPhoneNumber(req)
        except Exception as exc:
            return SendResult(Outcome.UNKNOWN, "query", str(exc)[:200])
        for d in resp.PullSmsSendStatusSet or []:
            if getattr(d, "SessionContext", None) == row.id:
                return SendResult(Outcome.ACCEPTED, "Ok", "found by status pull", d.SerialNo)
        return None

    async def lookup(self, row: OutboxRow) -> SendResult | None:
        """PullSmsSendStatusByPhoneNumber; match SessionContext (unconfirmed on the real API)."""
        return await asyncio.to_thread(self._lookup, row)

    async def aclose(self) -> None:
        """Nothing to close."""
