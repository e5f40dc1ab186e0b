"""Single-practice pairs: the better draft scores higher and a reason names the practice.

The order of each pair comes from models/pairs/*.jsonl (written from the engagement reference),
never from the model; what is asserted is what a copywriter sees: the two scores and the
reasons of score().
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from engine import make_message, score
from engine.score.card import FEATURE_NOTES
from engine.score.features import FEATURE_NAMES
from engine.score.model import shipped_model
from engine.score.pairs import judge, load_pairs, practice_table

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "models" / "pairs"
SPLITS = ("dev", "heldout", "dev2", "heldout2", "heldout3")
ROWS = [
    orjson.loads(line)
    for split in SPLITS
    for line in (PAIRS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
]
# practice -> (the reason that must name it, on which draft, its sign); written out here
WHY = {
    "name_salutation": ({"name_salutation"}, "better", 1),
    "concrete_amount": ({"specific_offer"}, "better", 1),
    "item_count": ({"item_count"}, "better", 1),
    "named_item": ({"named_item"}, "better", 1),
    "deadline": ({"deadline"}, "better", 1),
    "clear_cta": ({"clear_cta"}, "better", 1),
    "no_hype": ({"hype", "exclamations"}, "worse", -1),
    "length": ({"long"}, "worse", -1),
    "signature": ({"no_signature"}, "worse", -1),
}
# Held-out pairs the shipped model ties, scored once at the end and kept visible here:
# both drafts already hold a count (订两晚), and item_count is a flag, not a number.
KNOWN_TIES = {"h-item_count-04"}
# Held-out pairs (heldout2, heldout3) the shipped model orders wrongly, found when they were
# scored after the round of detector changes they were held out from; each is a strict xfail,
# so a fix shows up as a failure to remove the entry.
KNOWN_MISSES = {
    "h2-concrete_amount-03": "全场7折 is a blanket discount, vague by the design note (§4.2); "
    "the pair's own label disagrees with the reference",
    "h2-item_count-05": "measure word 枚 (10枚) is not in ITEM_COUNT",
    "h2-item_count-10": "measure word 片 (6片) is not in ITEM_COUNT",
    "h2-named_item-03": "兑 alone (积分可兑马克杯) is no giving verb for GIFT; the worse draft's "
    "惊喜好礼 is a vague offer, so the better draft scores lower",
    "h2-deadline-08": "本周六日 (Saturday and Sunday) is not read as a weekday before 有效",
    "h2-clear_cta-06": "开通 is not a CLEAR_CTA action verb",
    "h3-named_item-01": "赠品 (送精美赠品) is taken for a named item, so both drafts have one",
    "h3-deadline-03": "后天 (the day after tomorrow) is not in the deadline's time words",
}


def test_pair_files_are_well_formed() -> None:
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids)) == 180 + 60 + 80 + 55
    assert all(r["split"] in SPLITS and r["id"].startswith(_PREFIX[r["split"]]) for r in ROWS)
    for practice in WHY:
        rows = [r for r in ROWS if r["practice"] == practice]
        assert len(rows) >= 15, practice
        assert {"dev", "heldout"} <= {r["split"] for r in rows}
        assert len({r["industry"] for r in rows}) >= 6, practice
    for r in ROWS:
        assert (
            r["worse"] != r["better"]
            and r["source"]
            and r["type"]
            in (
                "marketing",
                "notification",
            )
        )
        if r["practice"] == "length":
            assert len(r["better"]) <= 70 < len(r["worse"]), r["id"]
        if r["practice"] == "signature":
            assert re.fullmatch(r"【[^】]+】" + re.escape(r["worse"]), r["better"]), r["id"]


_PREFIX = {"dev": "d-", "heldout": "h-", "dev2": "d2-", "heldout2": "h2-", "heldout3": "h3-"}


def _scored(row: dict[str, str], which: str):  # type: ignore[no-untyped-def]
    msg = make_message(row[which], type=row["type"], industry=row["industry"])
    return score(msg, suggestions=False)


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(
            r,
            id=r["id"],
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[r["id"]])]
            if r["id"] in KNOWN_MISSES
            else [],
        )
        for r in ROWS
        if r["id"] not in KNOWN_TIES
    ],
)
def test_better_draft_scores_higher_and_a_reason_names_the_practice(row: dict[str, str]) -> None:
    worse, better = _scored(row, "worse"), _scored(row, "better")
    assert better.score > worse.score
    features, side, sign = WHY[row["practice"]]
    carrier = better if side == "better" else worse
    named = [r for r in carrier.reasons if r.feature in features]
    assert named, [r.feature for r in carrier.reasons]
    for r in named:
        assert r.effect * sign > 0
        # the text states the same direction as the number: "提高1.2个百分点" or "降低0.8个百分点"
        assert ("提高" if sign > 0 else "降低") + f"{abs(r.effect) * 100:.1f}个百分点" in r.text


def test_known_misses_are_held_out_pairs_that_exist() -> None:
    by_id = {r["id"]: r for r in ROWS}
    assert set(KNOWN_MISSES) <= set(by_id)
    assert {by_id[i]["split"] for i in KNOWN_MISSES} <= {"heldout2", "heldout3"}
    # tuned splits have no known misses: every dev and dev2 pair is ordered right
    assert not {i for i in set(KNOWN_MISSES) | KNOWN_TIES if by_id[i]["split"].startswith("dev")}


def test_known_ties_are_still_ties() -> None:
    for row in (r for r in ROWS if r["id"] in KNOWN_TIES):
        assert _scored(row, "better").score == _scored(row, "worse").score, row["id"]


def test_judge_and_table_count_what_the_scores_say() -> None:
    model = shipped_model()
    pairs = load_pairs("dev")
    judged = [judge(p, model) for p in pairs]
    table = {r["practice"]: r for r in practice_table(judged)}
    assert set(table) == set(WHY)
    assert all(r["pairs"] == 8 for r in table.values())
    # a pair written the wrong way round is counted as wrong
    p = pairs[0]
    flipped = judge(p._replace(worse=p.better, better=p.worse), model)
    assert not flipped.right and not flipped.explained and flipped.delta < 0


def test_load_pairs_errors_name_the_file_and_line(tmp_path: Path) -> None:
    good = (PAIRS / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0]
    bad = good.replace('"practice": "name_salutation"', '"practice": "emoji"')
    (tmp_path / "dev.jsonl").write_text(good + "\n" + bad + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dev.jsonl:2: unknown practice 'emoji'. Known: name_"):
        load_pairs("dev", tmp_path)
    with pytest.raises(ValueError, match="unknown split 'test'"):
        load_pairs("test", tmp_path)


def test_card_has_notes_for_every_feature_and_the_pairs_table() -> None:
    assert set(FEATURE_NOTES) == set(FEATURE_NAMES)
    card = (ROOT / "models" / "CARD.md").read_text(encoding="utf-8")
    assert "## Single-practice pairs" in card
    for practice in WHY:
        cells = r" \| ".join([r"\d+/8"] * 2 + [r"\d+/12"] * 2 + [r"(?:\d+/\d+)?"] * 6)
        assert re.search(rf"^\| {practice} \| {cells} \|$", card, re.M), practice
