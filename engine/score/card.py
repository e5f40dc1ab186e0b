"""A training result -> models/CARD.md (data, features, metrics, version, date, limits)."""

from __future__ import annotations

from typing import Any

from engine.score.elements import elements
from engine.score.simulate import CAMPAIGN_SD, INTERCEPT, RECIPIENT_SD, VIP_EFFECT
from engine.score.train import TrainResult


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


# What each detector counts (features.py has the patterns); shown next to the coefficients.
FEATURE_NOTES: dict[str, str] = {
    "name_salutation": "surname + 先生/女士 or `${name}`, then a comma or colon",
    "generic_salutation": "尊敬的 / 亲爱的, when there is no name salutation",
    "specific_offer": "a concrete amount: 满A减B, 立减/直降/省/返 N, N元, ¥N, 减免N%, 半价, "
    "买一送一, N折 (not 全场…N折 or N折起)",
    "vague_offer": "no concrete amount, but 全场N折, N折起 or an offer word without a figure "
    "(优惠, 福利, 折扣, 特惠, 好礼, 礼品…)",
    "item_count": "a number (digits, `${n}`, 两…十) with a measure word: 3张券, 2杯, 两晚; "
    "not 第二件, 3个月",
    "named_item": "送/赠/领/兑换/免费体验 + a named object (送保温杯); not a vague gift "
    "(礼品, 惊喜, 福利) or a coupon (券, 红包: those are amounts)",
    "deadline": "a named time: a date (12月20日前/截止/到期), a weekday (本周日前, 仅限本周末), "
    "an hour (今晚24点前), N days (限时3天), 有效期至; not 近期, 尽快, 即将截止, bare 限时",
    "hype": "抢购, 疯抢, 错过再等, 速来, 手慢无, 秒杀, 最后机会, 快来抢/赶紧抢",
    "exclamations": "number of ! or ！, capped at 3",
    "clear_cta": "点击 … then an action verb (领取, 查看, 预订, 下单, 报名, 购票…) within 40 "
    "characters",
    "link": "a URL or a bare domain",
    "long": "over 70 characters (billed per 67-character segment beyond)",
    "no_signature": "no 【签名】 at the start or the end. The effect is an assumption: the "
    "reference gives no size; gateways refuse unsigned 推广短信",
    "send_lunch": "`send_at` 11–13h Beijing time",
    "send_afternoon": "`send_at` 14–17h",
    "send_evening": "`send_at` 18–21h",
    "weekend": "`send_at` on Saturday or Sunday",
    "type_notification": "message type notification",
    "industry_finance": "industry finance, loan or insurance",
    "industry_travel": "industry air, travel or hotel",
    "industry_education": "industry education",
}


def _pairs_section(result: TrainResult) -> list[str]:
    if not result.pairs:
        return []
    lines = [
        "",
        "## Single-practice pairs",
        "",
        "Pairs of drafts that differ in one published best practice only "
        "(`models/pairs/`, written from",
        "the engagement reference; how: `models/pairs/README.md`). *Right*: the better draft "
        "scores strictly",
        "higher. *Explained*: also a reason names the practice with the sign its text states. "
        "Each held-out",
        "split (heldout, heldout2, heldout3) was written before its round of detector changes; "
        "the detectors",
        "were tuned on the dev splits only.",
        "",
        "| practice | " + " | ".join(f"{s} right | {s} explained" for s in result.pairs) + " |",
        "|---|" + "---:|---:|" * len(result.pairs),
    ]
    tables = {s: {r["practice"]: r for r in rows} for s, rows in result.pairs.items()}
    practices = list(dict.fromkeys(p for rows in tables.values() for p in rows))
    for practice in practices:
        cells = []
        for split in result.pairs:
            r = tables[split].get(practice)
            cells += (
                [f"{r['right']}/{r['pairs']}", f"{r['explained']}/{r['pairs']}"] if r else ["", ""]
            )
        lines.append(f"| {practice} | " + " | ".join(cells) + " |")
    return lines


def render_card(result: TrainResult) -> str:
    """Return the model card as Markdown."""
    m = result.model
    meta: dict[str, Any] = dict(m.meta)
    data = meta["data"]
    h = result.metrics
    simulated = m.trained_on == "simulated"
    lines = [
        "# Model card: Xinshi engagement model",
        "",
        f"- **Version:** `{m.version}` (file `engagement.json`, format 1)",
        f"- **Trained:** {meta['trained_at']} with scikit-learn {meta['sklearn']}",
        f"- **Predicts:** {meta['target']}.",
        "- **Model:** logistic regression (`sklearn.pipeline.Pipeline`: `CopyFeatures` → "
        f"`LogisticRegression(C={meta['C']})`), fitted on aggregated send cells with "
        "`sample_weight`; exported as plain JSON weights and scored in pure Python "
        "(dot product + sigmoid; no pickle, no sklearn at scoring time).",
        "",
    ]
    if simulated:
        lines += [
            "> **This model is trained on SIMULATED data.** No public data set pairs Chinese",
            "> marketing SMS with clicks. Its scores show how drafts compare under the documented",
            "> ground truth of `engine/score/simulate.py`; they are not a forecast of what your",
            "> customers will do. Treat the score as a checklist score with reasons, and retrain",
            "> on your own randomised A/B logs (below) before quoting rates.",
            "",
        ]
    lines += [
        "## Data",
        "",
        f"- Source: {data['source']}",
        f"- {data['campaigns']} campaigns, {data['variants']} drafts, {data['sends']:,} sends, "
        f"{data['clicks']:,} clicks; VIP share of sends {data['vip_share']:.1%}.",
    ]
    if simulated:
        lines += [
            f"- Ground truth: intercept {INTERCEPT}, VIP {VIP_EFFECT:+}, campaign effect "
            f"N(0, {CAMPAIGN_SD}²), recipient effect N(0, {RECIPIENT_SD}²), per-element effects "
            "in the table below. Confounder: VIP-heavy campaigns mostly use name salutations.",
        ]
    lines += [
        "",
        "## Features and coefficients (logit scale)",
        "",
        "One pure function, `engine.score.features.features(message)`, is used for training and",
        "scoring. Audience control `vip` is learned "
        f"({m.controls.get('vip', 0.0):+.3f}) and held at 0 when scoring (a regular recipient).",
        "",
    ]
    labels = elements().features
    if result.effects:
        lines += [
            "Unobserved campaign and recipient noise shrinks marginal effects, so a pooled fit",
            "targets *true × attenuation* (column 'expected').",
            "",
            "| feature | 中文 | true | expected | estimated | what the detector counts |",
            "|---|---|---:|---:|---:|---|",
        ]
        for e in result.effects:
            lines.append(
                f"| `{e['feature']}` | {labels[e['feature']].label} | {e['true']:+.2f} | "
                f"{e['expected']:+.3f} | {e['estimated']:+.3f} | {FEATURE_NOTES[e['feature']]} |"
            )
    else:
        lines += [
            "| feature | 中文 | estimated | what the detector counts |",
            "|---|---|---:|---|",
        ]
        for name, c in zip(m.feature_names, m.coef, strict=True):
            lines.append(f"| `{name}` | {labels[name].label} | {c:+.3f} | {FEATURE_NOTES[name]} |")
    lines += [
        f"| intercept | | | | {m.intercept:+.3f} | |"
        if result.effects
        else f"| intercept | | {m.intercept:+.3f} | |",
        "",
        f"## Held-out evaluation ({h['campaigns']} whole campaigns held out, {h['sends']:,} sends)",
        "",
        "| metric | model | base rate |" + (" oracle (true p) |" if "oracle_auc" in h else ""),
        "|---|---:|---:|" + ("---:|" if "oracle_auc" in h else ""),
        f"| AUC | {h['auc']:.3f} | 0.500 |"
        + (f" {h['oracle_auc']:.3f} |" if "oracle_auc" in h else ""),
        f"| log loss | {h['log_loss']:.4f} | {h['base_log_loss']:.4f} |"
        + (f" {h['oracle_log_loss']:.4f} |" if "oracle_auc" in h else ""),
        f"| Brier | {h['brier']:.4f} | {h['base_brier']:.4f} |"
        + (" |" if "oracle_auc" in h else ""),
        f"| ECE | {h['ece']:.4f} | | " + (" |" if "oracle_auc" in h else ""),
        "",
    ]
    if "pairwise_accuracy" in h:
        lines += [
            f"Within-campaign pick-the-better accuracy: **{h['pairwise_accuracy']:.1%}** of "
            f"{h['pairs']} pairs of drafts (the decision a copywriter makes). Send-level AUC is "
            "capped by recipient noise: compare it with the oracle, not with 1.0.",
            "",
        ]
    lines += [
        "Calibration (held-out sends, binned by predicted rate):",
        "",
        "| predicted bin | sends | mean predicted | observed |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {r['bin']} | {r['sends']:,} | {_pct(r['predicted'])} | {_pct(r['observed'])} |"
        for r in h["calibration"]
    ]
    if result.confounding:
        cf = result.confounding
        lines += [
            "",
            "## Confounding check (name salutation, true effect "
            f"{cf['true']:+.2f}; ≈{cf['expected_pooled']:+.2f} pooled / "
            f"≈{cf['expected_within']:+.2f} within campaign after attenuation)",
            "",
            f"- pooled, audience not in the model: **{cf['pooled_without_audience']:+.3f}** "
            "(biased: VIP campaigns use names more)",
            f"- pooled, with the `vip` audience control: {cf['pooled_with_audience']:+.3f}",
            f"- within campaign (campaign fixed effects, no audience data): "
            f"{cf['within_campaign']:+.3f}",
        ]
    lines += _pairs_section(result)
    lines += [
        "",
        "## Retrain on your own events",
        "",
        "    xinshi model train --events sends.jsonl --out models/",
        "",
        "Rows are sends (`clicked`) or aggregates (`n`, `clicks`) with `campaign_id` and `text`;",
        "optional `type`, `industry`, `sent_at`, `vip`, `assignment` (rows marked `targeted` are",
        "skipped). Columns are documented in `engine/score/events.py`; Parquet works too.",
        "",
        "## Limits",
        "",
        "- Trained on simulated data unless the line above says otherwise; simulated effects are",
        "  deliberately larger than published ones (+10–20% relative per element).",
        "- Copy effects are identified only from drafts randomised *within* campaigns; targeted",
        "  sends (nicer copy to better customers) inflate them. Log the segment and `assignment`.",
        "- Detectors are regexes on NFKC-folded text; they were checked against the simulator's",
        "  copy space and the hand-written pairs above, not real drafts. Measure them on",
        "  hand-labelled real drafts before trusting reasons.",
        "- No text n-grams: with few hundred drafts they learn noise (design note §4.3).",
        "- Context the text cannot show (audience, list quality, season) dominates absolute",
        "  rates: compare drafts of one campaign rather than quoting a rate.",
        "- Send hour and weekday come from `send_at`; without it a score assumes a weekday",
        "  morning.",
        "",
        *CONTENT_MODEL_SECTION,
    ]
    return "\n".join(lines)


# models/ holds a second model; its card is written by its own trainer
CONTENT_MODEL_SECTION = (
    "## Content model (`content.json`)",
    "",
    "A separate model: character n-gram logistic regression over the 9 spam content",
    "categories plus clean and news, trained on `bench/corpora/dev` only, behind the",
    "`kind: model` rules of `rules/packs/content_model.yaml` (severity warn). Its card -",
    "data, intended use, leave-one-author-out precision/recall per category and per author,",
    "false-alarm rates, per-label thresholds, limits, cost - is `CONTENT_CARD.md`, written by",
    "`python -m engine.content_model.train` with the weights.",
    "",
)
