"""The decision rule: what a comparison lets you do, as a code (JSON) and a sentence (Chinese).

A variant wins ("ship") only when the difference is significant after Holm's correction AND the
always-valid (sequential) interval for the lift excludes 0: a fixed-horizon p-value read before
the planned size overstates certainty, the sequential interval does not (Waudby-Smith et al.,
as in GrowthBook's sequential testing). Significant but not yet sequentially clear is
"too_early". A broken split (SRM) overrides everything; a failed guardrail blocks shipping.
"""

from __future__ import annotations

from engine.abtest.compare import Comparison

# the codes are the JSON contract; the sentences are what the /ab page and the terminal show
LABELS = {
    "srm_broken": "分流比例异常（SRM），结论不可信：先查明分组或发送环节的问题",
    "ship": "胜出：校正后显著，且随时可看的序贯区间已排除 0",
    "worse": "明显更差：校正后显著，且序贯区间已排除 0",
    "too_early": "方向已显现，但序贯区间仍包含 0：现在下结论为时过早，请继续收集",
    "guardrail_failed": "主指标更好，但护栏指标变差超出容忍范围：不要上线",
    "guardrail_pending": "主指标更好，但护栏指标尚未证明没有变差（非劣效未通过）：请继续收集",
    "leaning_better": "略好，但校正后不显著：请继续收集",
    "leaning_worse": "略差，但校正后不显著",
    "no_difference": "无明显差异",
}
METRIC_ZH = {
    "click": "点击率",
    "conversion": "转化率",
    "delivery": "送达率",
    "revenue": "每条收入",
    "opt_out": "退订率",
    "complaint": "投诉率",
}


def sequential_clear(c: Comparison) -> bool | None:
    """Say whether the always-valid lift interval excludes 0 (None when there is none)."""
    if c.always_valid_lift_ci is None:
        return None
    low, high = c.always_valid_lift_ci
    return low > 0 or high < 0


def decide(
    c: Comparison, alpha: float, srm_flagged: bool, read_early: bool, guardrails: str = "ok"
) -> str:
    """Return the decision code for one comparison (see LABELS).

    Significance uses the p-value Holm-corrected over every goal metric and variant when the
    report has one (``p_holm_metrics``), else over variants. ``guardrails`` is ``ok``,
    ``fail`` or ``unknown`` (not yet shown non-inferior).
    """
    if srm_flagged:
        return "srm_broken"
    p = c.p_holm if c.p_holm_metrics is None else c.p_holm_metrics
    if p < alpha:
        clear = sequential_clear(c)
        if clear is False or (clear is None and read_early):
            return "too_early"
        if c.diff < 0:
            return "worse"
        return {"ok": "ship", "fail": "guardrail_failed"}.get(guardrails, "guardrail_pending")
    if c.prob_beat_control > 0.95:
        return "leaning_better"
    if c.prob_beat_control < 0.05:
        return "leaning_worse"
    return "no_difference"


def sentence(c: Comparison, metric: str, decision: str) -> str:
    """Return the comparison in one Chinese sentence: effect, chance to win, decision."""
    if metric == "revenue":
        size = f"每条收入 {c.diff / 100:+.3f} 元"
    else:
        size = f"{METRIC_ZH.get(metric, metric)} {c.diff * 100:+.2f} 个百分点"
    lift = "" if c.lift is None else f"（相对 {c.lift:+.1%}）"
    chance = f"胜过对照的概率 {c.prob_beat_control:.0%}"
    return f"{c.variant}：{size}{lift}，{chance} — {LABELS[decision]}"
