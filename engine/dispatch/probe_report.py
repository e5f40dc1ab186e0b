"""Probe reports: JSON (the record) and Markdown (for people, with text bar charts); compare two.

The JSON's ``stress`` object is the stress step's summary (engine.dispatch.probe); ``compare``
reads two such files and says which provider wins on each measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from engine.dispatch.carriers import CARRIER_NAMES as CARRIER_ZH
from engine.dispatch.scorecard import meaning

BAR = 40  # characters in the longest bar
INTERRUPTED = "- **已中断，以下为中断前的测量结果** (interrupted)"


class ReportError(ValueError):
    """A probe report that cannot be read."""


def write(report: dict[str, Any], prefix: Path) -> tuple[Path, Path]:
    """Write PREFIX.json and PREFIX.md; return both paths."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    js, md = prefix.with_name(prefix.name + ".json"), prefix.with_name(prefix.name + ".md")
    js.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    md.write_text(markdown(report), encoding="utf-8")
    return js, md


def _v(x: Any, unit: str = "") -> str:
    if x is None:
        return "–"
    if isinstance(x, float) and unit == "%":
        return f"{x * 100:.2f}%"
    return f"{x:,}{unit}" if isinstance(x, int) else f"{x:g}{unit}"


def histogram(values: Sequence[float], bins: int = 10) -> list[str]:
    """Text bars of a latency distribution (ms), one line per bin."""
    if not values:
        return ["(no receipts)"]
    top = max(values) or 1.0
    width = top / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / width))] += 1
    most = max(counts) or 1
    return [f"{i * width:8.0f}–{(i + 1) * width:<8.0f} ms {'█' * round(BAR * n / most):<{BAR}} {n}"
            for i, n in enumerate(counts)]  # fmt: skip


def markdown(report: dict[str, Any]) -> str:
    """The report for people."""
    out = [f"# 平台测试报告：{report['provider']}", "",
           f"- 平台 provider: `{report['provider_spec']}`",
           f"- 开始 started: {report['started']}（北京时间）",
           f"- 步骤 steps: {', '.join(report.get('steps', ['stress']))}",
           INTERRUPTED if report.get("interrupted") else "",
           ""]  # fmt: skip
    if "stress" in report:
        out += _stress(report)
    if "compatibility" in report:
        out += _compat(report["compatibility"])
    if "fault" in report:
        out += _fault(report["fault"])
    return "\n".join(out) + "\n"


FORM_ZH = {"probe_short": "短消息", "probe_long": "长消息（>70 字）", "probe_emoji": "含 emoji",
           "probe_traditional": "繁体字", "probe_link": "含链接"}  # fmt: skip


def _compat(c: dict[str, Any]) -> list[str]:
    cells = c["cells"]
    forms = sorted({x["form"] for x in cells})
    out = ["## 兼容性测试 Compatibility", "",
           "各运营商、地区与消息形式：送达 / 发送（回执时延 p50）。",
           "", "| 运营商 | 地区 | " + " | ".join(FORM_ZH.get(f, f) for f in forms) + " |",
           "|---|---|" + "---|" * len(forms)]  # fmt: skip
    rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for x in cells:
        rows.setdefault((x["carrier"], x["region"]), {})[x["form"]] = x
    for (carrier, region), by_form in sorted(rows.items()):
        marks = []
        for f in forms:
            x = by_form.get(f)
            marks.append(
                "–"
                if x is None
                else f"{x['delivered']}/{x['sent']}（{_v(x['receipt_ms_p50'], ' ms')}）"
            )
        out.append(f"| {CARRIER_ZH.get(carrier, carrier)} | {region} | " + " | ".join(marks) + " |")
    s = c["summary"]
    out += [
        "",
        f"合计：送达 {_v(s['delivered'])} / 受理 {_v(s['accepted'])}，"
        f"计费 {_v(s['billed_segments'])} 条。",
        "",
    ]
    return out


def _fault(f: dict[str, Any]) -> list[str]:
    out = ["## 故障测试 Fault", "",
           f"信使自己的检查拦下 {f['stopped_by_xinshi']} 条（应拦 {f['expected_blocked']} 条），"
           f"被拦的消息发到平台的有 {f['blocked_sent']} 条；"
           f"其余 {f['borderline_sent']} 条临界消息照常发送，"
           f"平台内容过滤拦下 {f['provider_filtered']} 条。",
           "" if not f["missed"] else f"**应拦而未拦：{', '.join(f['missed'])}**", "",
           "| 用例 | 预期 | 信使检查 | 命中规则 | 平台的反应 |",
           "|---|---|---|---|---|"]  # fmt: skip
    for r in f["cases"]:
        rules = ", ".join(r["rules"]) or "–"
        out.append(f"| {r['id']} | {r['expect']} | {r['verdict']} | {rules} | "
                   f"{'未发送（已拦截）' if not r['sent'] else r['provider']} |")  # fmt: skip
    out.append("")
    return out


def _stress(report: dict[str, Any]) -> list[str]:
    s = report["stress"]
    out = ["## 压力测试 Stress", "",
           f"模板 `{report['template']}`，号码 {report['numbers']} 个。", "",
           "| 指标 | 值 |", "|---|---|",
           f"| 计划 / 实际发送 | {_v(s['target'])} / {_v(s['sent'])} |",
           f"| 目标 / 实际速率 | {_v(s['target_rate'])} / {_v(s['achieved_rate'])} 条/秒 |",
           f"| 受理 accepted | {_v(s['accepted'])} |",
           f"| 送达 delivered | {_v(s['delivered'])} |",
           f"| 送达率（95% 区间） | {_v(s['delivery_rate'], '%')}"
           f"（{_v(s['delivery_rate_low'], '%')} – {_v(s['delivery_rate_high'], '%')}） |",
           f"| 失败回执 / 无回执 | {_v(s['undelivered'])} / {_v(s['no_receipt'])} |",
           f"| 限流 throttled / 错误 errors / 拒绝 rejected | {_v(s['throttled'])} / "
           f"{_v(s['errors'])} / {_v(s['rejected'])} |",
           f"| 提交时延 p50 / p95 / p99 | {_ms(s['submit_ms'])} |",
           f"| 回执时延 p50 / p95 / p99 | {_ms(s['receipt_ms'])} |",
           f"| 计费条数 billed segments | {_v(s['billed_segments'])} |",
           f"| 每条送达成本 | {_v(s['cost_per_delivered_fen'], ' 分')} |",
           "", "### 回执时延分布 Receipt latency", "", "```",
           *histogram(s["receipt_ms_all"]), "```", ""]  # fmt: skip
    if s["codes"]:
        out += ["### 失败代码 Failure codes", "", "| 代码 | 含义 | 次数 |", "|---|---|---|"]
        out += [f"| `{c}` | {meaning(c)} | {n} |" for c, n in s["codes"].items()]
        out.append("")
    return out


def _ms(p: dict[str, Any]) -> str:
    return " / ".join(_v(p[k], " ms") for k in ("p50", "p95", "p99"))


def read(path: Path) -> dict[str, Any]:
    """A probe report written by ``write``; ReportError says what is wrong."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise ReportError(
            f"{path}: not JSON ({exc}); give a .json file xinshi probe wrote"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("stress"), dict):
        raise ReportError(f"{path}: not a probe report (no 'stress' object); give a .json "
                          "file xinshi probe wrote")  # fmt: skip
    return data


# (label, key in stress, path inside it, better: "high" or "low")
MEASURES: tuple[tuple[str, str, str | None, str], ...] = (
    ("delivery rate", "delivery_rate", None, "high"),
    ("submit p50 ms", "submit_ms", "p50", "low"),
    ("submit p95 ms", "submit_ms", "p95", "low"),
    ("receipt p50 ms", "receipt_ms", "p50", "low"),
    ("receipt p95 ms", "receipt_ms", "p95", "low"),
    ("throttled", "throttled", None, "low"),
    ("errors", "errors", None, "low"),
    ("cost per delivered (fen)", "cost_per_delivered_fen", None, "low"),
)


def _compat_rate(report: dict[str, Any]) -> float | None:
    """Delivered of accepted over the whole compatibility matrix (a fraction, as in stress)."""
    s = report.get("compatibility", {}).get("summary", {})
    accepted, delivered = s.get("accepted"), s.get("delivered")
    return None if not accepted else round(delivered / accepted, 4)


def _cells_all_delivered(report: dict[str, Any]) -> int | None:
    """Cells (carrier x region x form) in which every message was delivered."""
    cells = report.get("compatibility", {}).get("cells")
    return (
        None if cells is None else sum(c["sent"] > 0 and c["delivered"] == c["sent"] for c in cells)
    )


def _borderline_delivered(report: dict[str, Any]) -> int | None:
    """Borderline messages Xinshi let through that the provider's content filter did not
    refuse: a sender's lawful copy that gets delivered."""
    f = report.get("fault")
    return None if f is None else f["borderline_sent"] - f["provider_filtered"]


# Measures of the other two steps, compared when both reports ran the step.
STEP_MEASURES: tuple[tuple[str, Any, str], ...] = (
    ("compatibility delivery rate", _compat_rate, "high"),
    ("compatibility cells all delivered", _cells_all_delivered, "high"),
    ("fault: borderline delivered", _borderline_delivered, "high"),
)


def _row(label: str, va: Any, vb: Any, better: str) -> dict[str, Any]:
    win = None
    if va is not None and vb is not None and va != vb:
        first = va > vb if better == "high" else va < vb
        win = "A" if first else "B"
    return {"measure": label, "a": va, "b": vb, "winner": win}


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per measure: both values and the winner (None for a tie or a missing value).
    The stress measures always; compatibility and fault measures when both reports ran them."""
    rows = []
    for label, key, sub, better in MEASURES:
        va, vb = a["stress"].get(key), b["stress"].get(key)
        if sub is not None:
            va = va.get(sub) if isinstance(va, dict) else None
            vb = vb.get(sub) if isinstance(vb, dict) else None
        rows.append(_row(label, va, vb, better))
    for label, measure, better in STEP_MEASURES:
        va, vb = measure(a), measure(b)
        if va is not None or vb is not None:
            rows.append(_row(label, va, vb, better))
    return rows


def compare_markdown(a: dict[str, Any], b: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """The comparison as a Markdown table."""
    name = {"A": f"A {a['provider']}", "B": f"B {b['provider']}", None: "–"}
    out = [f"| measure | A {a['provider']} | B {b['provider']} | better |", "|---|---|---|---|"]
    for r in rows:
        pct = r["measure"].endswith("delivery rate")
        out.append(f"| {r['measure']} | {_v(r['a'], '%' if pct else '')} | "
                   f"{_v(r['b'], '%' if pct else '')} | {name[r['winner']]} |")  # fmt: skip
    wins = [r["winner"] for r in rows]
    out += ["", f"A wins {wins.count('A')}, B wins {wins.count('B')} of {len(rows)} measures."]
    return "\n".join(out) + "\n"
