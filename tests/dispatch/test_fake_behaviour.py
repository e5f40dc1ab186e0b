"""The fake provider's behaviour file: carriers from prefixes, throttling, content filter, billing,
bad files (file:line), and the magic numbers still answering as before."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.dispatch.carriers import carrier_of, region_of, sample_numbers
from engine.dispatch.message import Lane, OutboxRow, Outcome, Status
from engine.dispatch.providers.aliyun import AliyunProvider
from engine.dispatch.providers.tencent import TencentProvider
from engine.dispatch.templates import ProviderTemplate
from tests.processes import HTTP, fake_provider, xinshi

SendResultT = tuple[Outcome, str]
ALI = ProviderTemplate("SMS_900002")
TC = ProviderTemplate("900002", ("order",))
BEHAVIOUR = """\
delivery_rate: {cmcc: 1.0, cucc: 1.0, ctcc: 1.0, virtual: 0.0}
receipt_latency_ms: {p50: 20, p95: 40}
submit_latency_ms: {p50: 1, p95: 3}
qps_limit: 1000
content_filter: [贷款, 代开发票]
price_fen_per_segment: 4.0
bill_failed: false
"""


def _row(phone: str, mid: str, **params: str) -> OutboxRow:
    return OutboxRow(
        id=mid, idem_key=mid, lane=Lane.NOTICE, phone=phone, sign_name="信使商城",
        template_id="order_confirmed", params=params or {"order": "1"}, rendered_text="x",
        ruleset_version="v", status=Status.SENDING, not_before=0, expires_at=None, attempts=1,
        created_at=time.time(),
    )  # fmt: skip


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("behaviour")
    (tmp / "b.yaml").write_text(BEHAVIOUR, encoding="utf-8")
    with fake_provider(tmp / "fake.log", "--behaviour", str(tmp / "b.yaml")) as url:
        yield url


def test_carrier_and_region_come_from_the_prefix() -> None:
    assert [carrier_of(p) for p in ("+8613800138000", "18600000000", "13300000000",
                                    "17000000000", "17112345678", "19200000000", "13490000000",
                                    "10000000000")] == [
        "cmcc", "cucc", "ctcc", "virtual", "virtual", "cbn", "ctcc", "unknown"]  # fmt: skip
    assert region_of("+8613800000000") == "北京市" and region_of("13800094321") == "广东省"
    assert region_of("13812345678") == "unknown"  # outside the shipped table
    numbers = sample_numbers()
    assert {c for _, c, _ in numbers} == {"cmcc", "cucc", "ctcc", "virtual"}
    assert len({r for _, _, r in numbers}) >= 6
    assert all(carrier_of(n) == c and region_of(n) == r for n, c, r in numbers)


def test_delivery_follows_the_carrier_and_failed_messages_are_not_billed(fake: str) -> None:
    before = HTTP.get(f"{fake}/_stats").json()

    async def run() -> list[Outcome]:
        ali, tc = AliyunProvider(fake), TencentProvider(fake)
        sends = [ali.send(_row(f"+8613800005{i:03d}", f"cm{i}"), ALI) for i in range(6)]
        sends += [tc.send(_row(f"+8617000005{i:03d}", f"vn{i}"), TC) for i in range(4)]
        results = await asyncio.gather(*sends)
        fees = [r.billed_parts for r in results[6:]]
        assert fees == [0, 0, 0, 0]  # Tencent's Fee: virtual numbers fail, unbilled
        await ali.aclose()
        await tc.aclose()
        return [r.outcome for r in results]

    assert asyncio.run(run()) == [Outcome.ACCEPTED] * 10
    after = HTTP.get(f"{fake}/_stats").json()
    got = {k: after["outcomes"].get(k, 0) - before["outcomes"].get(k, 0)
           for k in ("delivered", "undelivered")}  # fmt: skip
    assert got == {"delivered": 6, "undelivered": 4}
    assert after["billed_segments"] - before["billed_segments"] == 6
    assert after["billed_fen"] - before["billed_fen"] == pytest.approx(24.0)


def test_content_filter_words_get_each_providers_code(fake: str) -> None:
    async def run() -> tuple[str, str]:
        ali, tc = AliyunProvider(fake), TencentProvider(fake)
        row = _row("+8613800005900", "cf1", order="贷款")
        a, t = await ali.send(row, ALI), await tc.send(row, TC)
        await ali.aclose()
        await tc.aclose()
        assert a.outcome is Outcome.CONTENT and t.outcome is Outcome.CONTENT
        return a.code, t.code

    assert asyncio.run(run()) == ("isv.SMS_CONTENT_ILLEGAL", "FailedOperation.ContainSensitiveWord")
    texts = HTTP.get(f"{fake}/_texts").json()
    assert "【信使商城】您的订单贷款已支付成功，我们将尽快发货。" in texts  # rendered from the book


def test_magic_numbers_keep_their_meaning_with_a_behaviour_file(fake: str) -> None:
    async def run() -> list[tuple[Outcome, str]]:
        ali = AliyunProvider(fake)
        out = [await ali.send(_row(f"+86138000000{m}", f"mg{m}"), ALI) for m in ("01", "03", "10")]
        await ali.aclose()
        return [(r.outcome, r.code) for r in out]

    assert asyncio.run(run()) == [
        (Outcome.PERMANENT, "isv.MOBILE_NUMBER_ILLEGAL"),
        (Outcome.TRANSIENT, "isp.SYSTEM_ERROR"),
        (Outcome.ACCOUNT, "isv.OUT_OF_SERVICE"),
    ]


def test_sends_over_the_qps_limit_get_the_throttle_code(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("qps_limit: 5\nsubmit_latency_ms: {p50: 1, p95: 2}\n")
    with fake_provider(tmp_path / "fake.log", "--behaviour", str(tmp_path / "b.yaml")) as url:

        async def run() -> tuple[list[tuple[Outcome, str]], SendResultT]:
            ali, tc = AliyunProvider(url), TencentProvider(url)
            rows = [_row(f"+8613800005{i:03d}", f"q{i}") for i in range(20)]
            out = await asyncio.gather(*(ali.send(r, ALI) for r in rows))
            tencent = await tc.send(_row("+8613800005999", "qt"), TC)
            await ali.aclose()
            await tc.aclose()
            return [(r.outcome, r.code) for r in out], (tencent.outcome, tencent.code)

        results, tencent = asyncio.run(run())
        stats = HTTP.get(f"{url}/_stats").json()
    accepted = results.count((Outcome.ACCEPTED, "OK"))
    throttled = results.count((Outcome.PROVIDER_THROTTLED, "Throttling.User"))
    assert 5 <= accepted <= 10 and accepted + throttled == 20  # 5 a second; 20 sent at once
    assert tencent == (Outcome.PROVIDER_THROTTLED, "RequestLimitExceeded")
    assert stats["outcomes"]["throttled"] == throttled + 1


def test_long_messages_are_billed_per_67_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "【信使商城】" + "您的订单已发货" * 12 + "${order}"  # 6 + 84 + 10 = 100 characters
    (tmp_path / "templates.yaml").write_text(
        "templates:\n  long_notice:\n    lane: notice\n    sign_name: 信使商城\n"
        f"    text: {text}\n    example: {{order: '1111000123'}}\n"
        "    providers:\n      tencent: {id: '900099', params: [order]}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text("delivery_rate: {cmcc: 1.0}\n")
    monkeypatch.setenv("XINSHI_TEMPLATES", str(tmp_path / "templates.yaml"))  # read at start
    with fake_provider(tmp_path / "f.log", "--behaviour", str(tmp_path / "b.yaml")) as url:

        async def run() -> int | None:
            tc = TencentProvider(url)
            r = await tc.send(_row("+8613800005000", "long", order="1111000123"),
                              ProviderTemplate("900099", ("order",)))  # fmt: skip
            await tc.aclose()
            return r.billed_parts

        assert asyncio.run(run()) == 2  # 100 characters: 2 parts of 67


def test_a_bad_behaviour_file_names_every_problem_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_text(
        "delivery_rate: {cmcc: 0.9, cucc: 1.2}\n"
        "recipt_latency_ms: {p50: 100, p95: 200}\n"
        "submit_latency_ms: {p50: 40, p95: 10}\n"
        "qps_limit: fast\n",
        encoding="utf-8",
    )
    r = xinshi({**_env()}, "dispatch", "fake-provider", "--behaviour", str(bad))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert (
        lines[0]
        == f"error: {bad}:1: delivery_rate.cucc: Input should be less than or equal to 1 (got 1.2)"
    )
    assert lines[1] == (
        f"{bad}:2: unknown key 'recipt_latency_ms'. Known keys: delivery_rate, "
        "receipt_latency_ms, submit_latency_ms, qps_limit, content_filter, "
        "price_fen_per_segment, bill_failed, long_sms_segment_chars, seed. "
        "Did you mean 'receipt_latency_ms'?"
    )
    assert (
        lines[2]
        == f"{bad}:3: submit_latency_ms: p95 (10) is below p50 (40); p95 >= p50 (got {{'p50': 40, 'p95': 10}})"
    )
    assert lines[3].startswith(f"{bad}:4: qps_limit: ")
    bad.write_text("delivery_rate: [1, 2\n")
    r = xinshi({**_env()}, "dispatch", "fake-provider", "--behaviour", str(bad))
    assert r.returncode == 2 and r.stderr.startswith(f"error: {bad}:2: not valid YAML")
    r = xinshi({**_env()}, "dispatch", "fake-provider", "--behaviour", str(tmp_path / "none.yaml"))
    assert r.returncode == 2 and "cannot read the behaviour file" in r.stderr


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "XINSHI_TEMPLATES"}


def test_behaviour_defaults_are_the_documented_ones() -> None:
    from engine.dispatch.behaviour import Behaviour

    b = Behaviour()
    assert (b.delivery_rate.cmcc, b.delivery_rate.cucc, b.delivery_rate.virtual) == (
        0.995,
        0.99,
        0.95,
    )
    assert (b.receipt_latency_ms.p50, b.submit_latency_ms.p95, b.qps_limit) == (1800, 120, 200)
    assert (b.price_fen_per_segment, b.bill_failed, b.long_sms_segment_chars) == (4.5, True, 67)
    assert [b.segments("字" * n) for n in (70, 71, 134, 135)] == [1, 2, 2, 3]
