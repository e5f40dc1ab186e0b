"""Score reasons never contradict their own sign: a gain reads as a gain, a loss as a loss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import make_message, score
from engine.score import FEATURE_NAMES, reason_text, shipped_model
from engine.score.elements import elements

GAIN_WORDS = ("提高", "更高", "提升")
LOSS_WORDS = ("降低", "删掉", "删去", "改用", "改到", "较低", "效果更好")
CORPUS = Path(__file__).resolve().parent.parent / "data" / "rewrite_drafts.jsonl"


def _assert_signed(text: str, effect: float) -> None:
    if effect > 0:
        assert "预计使点击率提高" in text and not any(w in text for w in LOSS_WORDS), text
    else:
        assert "预计使点击率降低" in text and not any(w in text for w in GAIN_WORDS), text


@pytest.mark.parametrize("effect", [0.004, 0.0005, -0.0005, -0.004, 0.12, -0.12])
@pytest.mark.parametrize("feature", FEATURE_NAMES)
def test_every_reason_reads_in_the_direction_of_its_sign(feature: str, effect: float) -> None:
    text = reason_text(feature, effect)
    _assert_signed(text, effect)
    assert f"{abs(effect) * 100:.1f}个百分点" in text and "−" not in text and "+" not in text


def test_the_issue_example_now_reads_as_a_gain() -> None:
    # was: 笼统…预计点击率+0.4个百分点；写成具体的券（满A减B）效果更好
    assert reason_text("vague_offer", 0.004) == (
        "优惠写得笼统（如“全场5折”“享优惠”“送好礼”），预计使点击率提高0.4个百分点；"
        "写明具体金额（如满200减50、立减30元）预计更高"
    )
    assert reason_text("vague_offer", -0.004).endswith(
        "降低0.4个百分点；写明具体金额（如满200减50、立减30元）"
    )


def test_each_upgrade_is_a_claim_the_model_holds() -> None:
    model = shipped_model()
    coef = dict(zip(model.feature_names, model.coef, strict=True))
    better = {"vague_offer": "specific_offer", "generic_salutation": "name_salutation"}
    assert {k for k, v in elements().features.items() if v.upgrade} == set(better)
    for worse, good in better.items():
        assert coef[good] > coef[worse], (worse, good)


def test_reasons_the_model_gives_on_the_corpus() -> None:
    seen = 0
    with CORPUS.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    for row in rows:
        for when in ("2026-12-05T12:00", "2026-12-02T15:00", "2026-12-02T20:00"):
            for industry in (None, "finance", "travel", "education"):
                msg = make_message(row["text"], type=row["type"], send_at=when, industry=industry)
                for r in score(msg, suggestions=False).reasons:
                    _assert_signed(r.text, r.effect)
                    seen += 1
    assert seen > 1000
