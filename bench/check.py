"""Benchmark engine.check: messages/s and p50/p99 µs per message on one core.

Workload: 10,000 realistic 40–120 character SMS (generated from templates, fixed seed) checked
against the shipped rules plus an extra 50,000-word deny list. Baseline, in the same process:
a Python ``re`` alternation of the same words (the naive approach), timed on a subset because
it is slow. Targets (issue #2): ≥ 20,000 msg/s, p99 ≤ 200 µs, automaton build ≤ 2 s,
memory ≤ 300 MB.

    python bench/check.py [--messages 10000] [--words 50000] [--baseline 500]
                          [--without squeeze,lookalikes] [--profile 3000]

``--without`` turns an evasion stage off to measure what it costs: ``squeeze`` (the second
automaton pass for repeated and inserted characters), ``lookalikes`` (the look-alike fold).
``--profile N`` prints where N checks spend their time (cProfile, garbage collection off, as
in the timed passes) instead of the figures. cProfile charges its own per-call overhead to
the caller, so ``check`` itself looks costlier than it is; compare timed runs to decide.

The messages come from 14 templates: many share their body once digits are read as 0, so
per-text memos (the content model's) pay more here than on text that never repeats.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import resource
import statistics
import time

from engine import check, make_message
from engine.message import Message
from engine.normalize import tables
from engine.ruleset import RuleSet, load_ruleset

# Common characters for synthetic words: frequent enough to look real, long words rarely hit.
_POOL = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
    "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点"
    "从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原"
)

_TEMPLATES = [
    ("verification", "【{shop}】验证码{code}，用于{purpose}，{n}分钟内有效，请勿泄露给他人。"),
    (
        "verification",
        "【{shop}】您正在{purpose}，验证码{code}，{n}分钟内有效。如非本人操作请忽略。",
    ),
    ("notification", "【{shop}】您的订单{order}已发货，运单号SF{num}，可在App-我的订单查看物流。"),
    (
        "notification",
        "【{shop}】您预约的{month}月{day}日{hour}:00服务即将开始，请准时到店，如需改期请致电4001234567。",
    ),
    ("notification", "【{shop}】您的退款{price}元已原路退回，预计1–3个工作日到账，请注意查收。"),
    (
        "marketing",
        "【{shop}】{name}，您有{k}张满{a}减{b}券待领，{month}月{day}日前有效，详见App-我的-优惠券。拒收请回复R",
    ),
    (
        "marketing",
        "【{shop}】尊敬的会员，{item}会员价{price}元起，活动时间{month}月{day}日至{day2}日，详见 https://m.xinshi-mall.cn/{num} 。回T退订",
    ),
    (
        "marketing",
        "【{shop}】尊敬的会员，全场最低价！{item}限时抢购，加V信{code}进群领券。拒收请回复R",
    ),
    (
        "marketing",
        "【{shop}】尊敬的会员，{item}{k}折起，{month}月{day}日当天有效，数量有限先到先得。",
    ),
    (
        "marketing",
        "【云途旅行】尊敬的会员，上海-三亚特价机票{price}元起，仅限{month}月出行，手慢无！拒收请回复R",
    ),
    (
        "marketing",
        "【{shop}】尊敬的会员，冬季新品上市，{item}、围巾、手套会员价{k}折，活动时间{month}月{day}日至{day2}日，满{a}元包邮，详见App-我的-活动页，数量有限先到先得。拒收请回复R",
    ),
    (
        "marketing",
        "【云途旅行】尊敬的会员，三亚海景房{price}元/晚起（{month}月入住），含双早和接送机，入住前1天18:00前可免费取消，详见 https://m.xinshi-mall.cn/{num} 。回TD退订",
    ),
    (
        "notification",
        "【{shop}】您的订单{order}已签收。如有商品质量问题，请在收货后7天内通过App-我的订单-申请售后办理退换货，客服热线4001234567（9:00–21:00）。",
    ),
    (
        "notification",
        "【{shop}】尊敬的客户，您尾号{code}的账户于{month}月{day}日{hour}:05在新设备登录，如非本人操作，请立即在App内修改密码并联系官方客服。",
    ),
]
_FILL = {
    "shop": ["信使商城", "云途旅行", "谷香食品", "学而教育", "康宁口腔", "信使快递"],
    "purpose": ["登录", "注册", "修改密码", "绑定银行卡", "支付确认"],
    "name": ["王先生", "李女士", "尊敬的会员", "张先生"],
    "item": ["羽绒服", "补水面膜", "保温杯", "降噪耳机", "空气炸锅", "铁观音"],
}


def make_messages(n: int, seed: int = 7) -> list[Message]:
    """Generate ``n`` realistic messages of 40–120 characters."""
    rng = random.Random(seed)
    out: list[Message] = []
    while len(out) < n:
        mtype, tpl = rng.choice(_TEMPLATES)
        values = {k: rng.choice(v) for k, v in _FILL.items()}
        values.update(
            code=str(rng.randint(100000, 999999)),
            n=rng.choice([5, 10, 15]),
            order=str(rng.randint(10**9, 10**10 - 1)),
            num=str(rng.randint(10**9, 10**10 - 1)),
            month=rng.randint(1, 12),
            day=rng.randint(1, 20),
            day2=rng.randint(21, 28),
            hour=rng.randint(9, 18),
            price=rng.randint(9, 2999),
            k=rng.randint(2, 9),
            a=rng.choice([100, 200, 300]),
            b=rng.choice([10, 20, 50]),
        )
        text = tpl.format(**values)
        if 40 <= len(text) <= 120:
            out.append(make_message(text, type=mtype, send_at="2026-11-25T10:00"))
    return out


def make_words(n: int, seed: int = 11) -> list[str]:
    """Generate ``n`` distinct synthetic 3–6 character deny words."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(_POOL) for _ in range(rng.randint(3, 6))))
    return sorted(words)


def rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of already sorted values."""
    idx = min(len(sorted_values) - 1, round(q / 100 * (len(sorted_values) - 1)))
    return sorted_values[idx]


def disable(stage: str) -> None:
    """Turn one evasion stage off for this process (to measure its cost)."""
    import engine.match.lexicon

    never = re.compile("(?!)")
    if stage == "squeeze":
        engine.match.lexicon.SQUEEZE_HINT = never  # the scan's own name for it
    elif stage == "lookalikes":
        tables().lookalike = tables().lookalike_bmp = never
    else:
        raise SystemExit(f"--without: unknown stage {stage!r}. Known: squeeze, lookalikes")


def profile(messages: list[Message], rs: RuleSet) -> None:
    """Print the functions that take the most time over ``messages`` (cProfile)."""
    import cProfile
    import pstats

    gc.collect()
    gc.disable()
    prof = cProfile.Profile()
    prof.enable()
    for m in messages:
        check(m, rs)
    prof.disable()
    gc.enable()
    print(f"cProfile of {len(messages):,} checks (times include the profiler's overhead)")
    pstats.Stats(prof).sort_stats("tottime").print_stats(30)


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--words", type=int, default=50_000)
    ap.add_argument("--baseline", type=int, default=500, help="messages for the re baseline")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes; the best is reported")
    ap.add_argument("--without", default="", help="comma-separated: squeeze, lookalikes")
    ap.add_argument("--profile", type=int, default=0, help="profile this many checks instead")
    args = ap.parse_args()

    rss0 = rss_mb()
    t0 = time.perf_counter()
    tables()
    t_tables = time.perf_counter() - t0
    for stage in filter(None, args.without.split(",")):
        disable(stage)
    words = make_words(args.words)
    t0 = time.perf_counter()
    rs = load_ruleset(extra_lists={"bench_extra": words})
    t_build = time.perf_counter() - t0
    messages = make_messages(args.messages)
    mean_len = statistics.mean(len(m.text) for m in messages)

    for m in messages[:500]:  # warm up (lazy views, caches)
        check(m, rs)
    if args.profile:
        profile(messages[: args.profile], rs)
        return
    gc.collect()
    gc.disable()
    best_total, best_lat = float("inf"), []
    for _ in range(args.repeat):
        lat: list[float] = []
        start = time.perf_counter()
        for m in messages:
            t = time.perf_counter_ns()
            check(m, rs)
            lat.append((time.perf_counter_ns() - t) / 1000)
        total = time.perf_counter() - start
        if total < best_total:
            best_total, best_lat = total, sorted(lat)
    gc.enable()
    verdicts = [check(m, rs).verdict.value for m in messages]

    # Baseline: one re alternation of every deny word (shipped lists + the extra list).
    deny_words = sorted(
        {w for wl in rs.lexicon.lists if wl.role.value == "deny" for w in wl.words},
        key=len,
        reverse=True,
    )
    sub = [m.text for m in messages[: max(0, args.baseline)]]
    rx_rate = t_rx_build = 0.0
    if sub:  # --baseline 0 skips it (building the alternation takes seconds)
        t0 = time.perf_counter()
        rx = re.compile("|".join(map(re.escape, deny_words)))
        t_rx_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        for text in sub:
            rx.findall(text)
        rx_rate = len(sub) / (time.perf_counter() - t0)

    rate = len(messages) / best_total
    print(f"xinshi check benchmark · Python, 1 thread · ruleset {rs.version}")
    print(
        f"  rules {len(rs.rules)} · automaton keys {rs.word_count:,} (extra list {len(words):,} words)"
    )
    print(
        f"  messages {len(messages):,} · mean {mean_len:.0f} chars · verdicts "
        + ", ".join(f"{v} {verdicts.count(v)}" for v in ("allow", "review", "block"))
    )
    print(f"  fold tables build       {t_tables * 1000:8.0f} ms")
    print(f"  ruleset + automaton     {t_build * 1000:8.0f} ms   (target ≤ 2000 ms)")
    print(f"  engine.check            {rate:8,.0f} msg/s (target ≥ 20,000)")
    print(
        f"  latency p50 / p99 / max {percentile(best_lat, 50):6.1f} / {percentile(best_lat, 99):6.1f} / "
        f"{best_lat[-1]:6.1f} µs (target p99 ≤ 200)"
    )
    if sub:
        print(
            f"  baseline re alternation {rx_rate:8,.0f} msg/s over {len(sub)} msgs (build {t_rx_build:.2f} s),"
            f" matching only — no normalization, no rules"
        )
        print(f"  speed-up vs baseline    {rate / rx_rate:8.1f}×")
    else:
        print("  baseline re alternation skipped (--baseline 0)")
    print(f"  peak RSS                {rss_mb():8.0f} MB (started at {rss0:.0f} MB; target ≤ 300)")


if __name__ == "__main__":
    main()
