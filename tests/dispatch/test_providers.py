"""Step 2: the Aliyun and Tencent wire clients against the real fake provider; outcome classes."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.dispatch.message import Lane, OutboxRow, Outcome, Status
from engine.dispatch.providers import ProviderConfigError, make_provider
from engine.dispatch.providers.aliyun import AliyunProvider
from engine.dispatch.providers.tencent import TencentProvider
from engine.dispatch.templates import ProviderTemplate
from tests.processes import fake_provider, free_port


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fake_provider(tmp_path_factory.mktemp("fake") / "fake.log", "--hang", "3") as url:
        yield url


def _row(phone: str, mid: str) -> OutboxRow:
    return OutboxRow(
        id=mid, idem_key=mid, lane=Lane.NOTICE, phone=phone, sign_name="信使商城", template_id="order_confirmed",
        params={"order": "1"}, rendered_text="x", ruleset_version="v", status=Status.SENDING,
        not_before=0, expires_at=None, attempts=1, created_at=time.time(),
    )  # fmt: skip


CASES = [
    ("13800000000", Outcome.ACCEPTED, "OK", "Ok"),
    (
        "13800000001",
        Outcome.PERMANENT,
        "isv.MOBILE_NUMBER_ILLEGAL",
        "InvalidParameterValue.IncorrectPhoneNumber",
    ),
    (
        "13800000002",
        Outcome.RECIPIENT_THROTTLED,
        "isv.BUSINESS_LIMIT_CONTROL",
        "LimitExceeded.PhoneNumberDailyLimit",
    ),
    ("13800000003", Outcome.TRANSIENT, "isp.SYSTEM_ERROR", "InternalError.ServerError"),
    (
        "13800000009",
        Outcome.CONTENT,
        "isv.SMS_CONTENT_ILLEGAL",
        "FailedOperation.ContainSensitiveWord",
    ),
    (
        "13800000010",
        Outcome.ACCOUNT,
        "isv.OUT_OF_SERVICE",
        "FailedOperation.InsufficientBalanceInSmsPackage",
    ),
    # a code nobody listed is unknown (reconciled), never a permanent failure
    ("13800000011", Outcome.UNKNOWN, "isv.SOMETHING_NEW", "FailedOperation.SomethingNew"),
    # wrong credentials fail the account, not the message
    ("13800000012", Outcome.ACCOUNT, "InvalidAccessKeyId.NotFound", "AuthFailure.SecretIdNotFound"),
]


@pytest.mark.parametrize(("phone", "outcome", "ali_code", "tc_code"), CASES)
def test_magic_numbers_give_each_providers_codes(
    fake: str, phone: str, outcome: Outcome, ali_code: str, tc_code: str
) -> None:
    async def run() -> None:
        ali, tc = AliyunProvider(fake), TencentProvider(fake)
        row = _row("+86" + phone, f"id-{phone}")
        a = await ali.send(row, ProviderTemplate("SMS_900002"))
        t = await tc.send(row, ProviderTemplate("900002", ("order",)))
        assert (a.outcome, a.code) == (outcome, ali_code)
        assert (t.outcome, t.code) == (outcome, tc_code)
        if outcome is Outcome.ACCEPTED:
            assert a.provider_ref and t.provider_ref and a.provider_ref != t.provider_ref
        await ali.aclose()
        await tc.aclose()

    asyncio.run(run())


def test_tencent_blacklist_is_a_suppression(fake: str) -> None:
    async def run() -> None:
        tc = TencentProvider(fake)
        r = await tc.send(_row("+8613800000008", "bl"), ProviderTemplate("900002", ("order",)))
        assert r.outcome is Outcome.SUPPRESSED
        await tc.aclose()

    asyncio.run(run())


def test_a_timeout_after_sending_is_unknown_and_lookup_finds_it(fake: str) -> None:
    async def run() -> None:
        ali = AliyunProvider(fake, timeout=0.5)
        row = _row("+8613800000006", "hang-1")
        r = await ali.send(row, ProviderTemplate("SMS_900002"))
        assert r.outcome is Outcome.UNKNOWN  # the fake accepted it, the answer never came
        found = await ali.lookup(row)
        assert found is not None and found.outcome is Outcome.ACCEPTED
        assert await ali.lookup(_row("+8613800000006", "never-sent")) is None
        tc = TencentProvider(fake, timeout=0.5)
        assert (await tc.lookup(row)) is None  # it went through Aliyun, not Tencent
        await ali.aclose()
        await tc.aclose()

    asyncio.run(run())


def test_connection_refused_is_transient() -> None:
    async def run() -> None:
        ali = AliyunProvider(f"http://127.0.0.1:{free_port()}")
        r = await ali.send(_row("+8613800000000", "x"), ProviderTemplate("SMS_1"))
        assert r.outcome is Outcome.TRANSIENT and r.code == "connect_error"
        await ali.aclose()

    asyncio.run(run())


def test_bad_provider_spec_says_how_to_write_it() -> None:
    with pytest.raises(
        ProviderConfigError,
        match=r"e.g. aliyun=http://127.0.0.1:9100 \(kinds: aliyun, tencent, aliyun-sdk, tencent-sdk\)",
    ):
        make_provider("twilio=http://x")


def test_fake_provider_cli_is_documented(tmp_path: Path) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "engine.cli", "dispatch", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "fake-provider" in r.stdout


SDK_CASES = [
    ("13800000000", Outcome.ACCEPTED),
    ("13800000001", Outcome.PERMANENT),
    ("13800000002", Outcome.RECIPIENT_THROTTLED),
    ("13800000003", Outcome.TRANSIENT),
    ("13800000006", Outcome.UNKNOWN),
    ("13800000010", Outcome.ACCOUNT),
    ("13800000011", Outcome.UNKNOWN),  # an unlisted code: reconciled, never permanent
    ("13800000012", Outcome.ACCOUNT),  # wrong credentials
]


@pytest.mark.parametrize(("phone", "outcome"), SDK_CASES)
@pytest.mark.parametrize("kind", ["aliyun-sdk", "tencent-sdk"])
def test_official_sdk_adapters_against_the_fake(
    fake: str, kind: str, phone: str, outcome: Outcome
) -> None:
    # the SDKs are in the dev extra: a missing one is a broken install, never a skip
    importlib.import_module(
        "alibabacloud_dysmsapi20170525" if kind == "aliyun-sdk" else "tencentcloud.sms"
    )
    provider = make_provider(f"{kind}={fake}", timeout=1)
    tpl = ProviderTemplate("900002", ("order",))
    row = _row("+86" + phone, f"sdk-{kind}-{phone}")

    async def run() -> None:
        r = await provider.send(row, tpl)
        assert r.outcome is outcome, r
        found = await provider.lookup(row)
        if phone in ("13800000000", "13800000006"):  # the provider has it: lookup finds it
            assert found is not None and found.outcome is Outcome.ACCEPTED
        else:
            assert found is None
        await provider.aclose()

    asyncio.run(run())


@pytest.mark.parametrize("kind", ["aliyun-sdk", "tencent-sdk"])
def test_sdk_errors_are_classified_by_type_not_by_their_words(kind: str) -> None:
    """A refused connection never reached the provider: transient (retry at once). The
    exception's text says nothing about timeouts either way; its type decides."""
    provider = make_provider(f"{kind}=http://127.0.0.1:{free_port()}", timeout=1)

    async def run() -> None:
        r = await provider.send(_row("+8613800000000", f"refused-{kind}"), ProviderTemplate(
            "900002", ("order",)))  # fmt: skip
        assert r.outcome is Outcome.TRANSIENT, r
        await provider.aclose()

    asyncio.run(run())


def test_an_exception_wrapping_a_read_timeout_is_unknown_whatever_it_says() -> None:
    from requests.exceptions import ReadTimeout  # what the Tencent SDK's requests raises

    from engine.dispatch.providers.sdk import _exc_outcome

    try:
        try:
            raise ReadTimeout("socket closed")  # no word "timeout" in the text
        except ReadTimeout as inner:
            raise RuntimeError("ClientNetworkError") from inner
    except RuntimeError as exc:
        assert _exc_outcome(exc, "ClientNetworkError").outcome is Outcome.UNKNOWN
    try:
        try:
            raise ConnectionRefusedError(111, "read timeout")  # the words lie: it never left
        except ConnectionRefusedError:
            raise RuntimeError("ClientNetworkError")  # noqa: B904 (the SDK does this)
    except RuntimeError as exc:
        assert _exc_outcome(exc, "ClientNetworkError").outcome is Outcome.TRANSIENT


def test_lookup_asks_for_the_day_the_message_was_sent_not_the_day_it_was_queued(
    fake: str,
) -> None:
    """A message queued two days ago and sent now (deferred, scheduled, quiet hours) is found;
    asking for its creation day would miss it and re-send it."""

    async def run() -> None:
        ali = AliyunProvider(fake, timeout=2)
        base = _row("+8613800000100", "deferred-1")
        queued = time.time() - 2 * 86400
        row = dataclasses.replace(base, created_at=queued, claimed_at=time.time())
        assert (await ali.send(row, ProviderTemplate("SMS_900002"))).outcome is Outcome.ACCEPTED
        found = await ali.lookup(row)
        assert found is not None and found.outcome is Outcome.ACCEPTED
        # the same row without a claim time is looked up on its creation day: not there
        assert await ali.lookup(dataclasses.replace(row, claimed_at=None)) is None
        await ali.aclose()

    asyncio.run(run())


@pytest.mark.parametrize("kind", ["aliyun", "tencent"])
def test_lookup_reads_every_page_of_a_busy_number(fake: str, kind: str) -> None:
    """120 (Aliyun, 50 a page) or 230 (Tencent, 100 a page) messages to one number today:
    the first and the last are both found, so none is re-sent."""

    async def run() -> None:
        n, phone = (120, "+8613800000101") if kind == "aliyun" else (230, "+8613800000102")
        provider: AliyunProvider | TencentProvider
        if kind == "aliyun":
            provider, tpl = AliyunProvider(fake, timeout=2), ProviderTemplate("SMS_900002")
        else:
            provider = TencentProvider(fake, timeout=2)
            tpl = ProviderTemplate("900002", ("order",))
        rows = [dataclasses.replace(_row(phone, f"{kind}-busy-{i}"), claimed_at=time.time())
                for i in range(n)]  # fmt: skip
        for row in rows:
            assert (await provider.send(row, tpl)).outcome is Outcome.ACCEPTED
        for row in (rows[0], rows[n // 2], rows[-1]):
            found = await provider.lookup(row)
            assert found is not None and found.outcome is Outcome.ACCEPTED, row.id
        missing = dataclasses.replace(rows[0], id=f"{kind}-never-sent")
        assert await provider.lookup(missing) is None
        await provider.aclose()

    asyncio.run(run())
