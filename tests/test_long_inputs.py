"""Long adversarial inputs: the shortcuts that keep them fast (issue #12) open no evasion hole.

A contact detail or a banned word written after thousands of junk characters is still found,
with its span on the original text; numbers cut out of a long stretch of digits are the ones a
digit-by-digit search finds; jieba's word boundaries over a shortened long ASCII run are the
boundaries of the whole text.
"""

from __future__ import annotations

import random

import pytest

from engine import check, make_message
from engine.normalize import normalize
from engine.rule_types.contact_scan import classify, find_contacts
from engine.ruleset import RuleSet
from engine.word_boundaries import SEGMENTER

FILLERS = [" ", ".", "1 ", "1.", "a-", "中", "，", "】", "中1", "蔻蔻"]

# (tail written after the junk, rule that must flag it, characters its finding covers)
TAILS = [
    ("13812345678", "contact_diversion.mobile_number", "13812345678"),
    ("138-1234-5678", "contact_diversion.mobile_number", "138-1234-5678"),
    ("一三八一二三四五六七八", "contact_diversion.disguised_number", "一三八一二三四五六七八"),
    ("QQ：123456789", "contact_diversion.private_account", "QQ：123456789"),
    ("加微信abc12345", "contact_diversion.private_account", "加微信abc12345"),
    ("全网最低价", "absolute_claim.superlative", "全网最低价"),
    ("赌博网站", "gambling.gambling_terms", "赌博"),
]


@pytest.mark.parametrize("filler", FILLERS)
@pytest.mark.parametrize(("tail", "rule", "span"), TAILS)
def test_a_detail_after_5000_junk_characters_is_still_found(
    ruleset: RuleSet, filler: str, tail: str, rule: str, span: str
) -> None:
    junk = (filler * 5000)[:5000]
    if filler[-1].isdigit() and tail[0].isdigit():
        junk += "。"  # a digit run glued to the number makes one longer number, not a phone
    text = "【信使商城】" + junk + "，" + tail  # a signed ad: claims count in advertisements
    verdict = check(make_message(text, type="marketing"), ruleset)
    if "ruleset.check_budget" in {f.rule_id for f in verdict.findings}:
        # the padding used up the CPU budget before this rule ran: never an allow, a review
        assert verdict.verdict.value in ("review", "block"), verdict
        return
    mine = [f for f in verdict.findings if rule in f.rule_ids]
    assert mine, f"{rule} missed {tail!r} after 5,000×{filler!r}"
    at = text.index(span, len(junk))
    # its finding covers the tail (or a finding it merged into does: length.max's span
    # starts at character 500)
    assert any(f.start <= at and at + len(span) <= f.end for f in mine), [
        (f.rule_id, f.start, f.end) for f in mine
    ]


def test_every_phone_in_a_long_list_of_numbers_is_found() -> None:
    numbers = [f"13{d}{n:08d}" for d, n in zip("3456789" * 30, range(100, 310), strict=False)]
    text = "，".join(" ".join(numbers[i : i + 3]) for i in range(0, len(numbers), 3))
    found = find_contacts(text, normalize(text))
    assert [c.value for c in found] == numbers
    assert all(text[c.start : c.end] == c.value for c in found)


def test_numbers_inside_a_long_digit_stretch_are_those_a_cut_by_cut_search_finds() -> None:
    # A reference that tries every cut, as the contact scan did before it skipped the cuts
    # classify cannot accept: same contacts on random stretches of digits and separators.
    rng = random.Random(12)
    for _ in range(300):
        runs = ["".join(rng.choice("0134589") for _ in range(rng.randint(1, 6))) for _ in range(40)]
        text = "。" + " ".join(runs) + "。"
        got = [(c.start, c.end, c.value) for c in find_contacts(text, normalize(text), False)]
        assert got == _every_cut(text, runs)


def _every_cut(text: str, runs: list[str]) -> list[tuple[int, int, str]]:
    starts, pos = [], 1
    for r in runs:
        starts.append(pos)
        pos += len(r) + 1
    out, i = [], 0
    while i < len(runs):
        digits, found = "", None
        for j in range(i, len(runs)):
            digits += runs[j]
            if len(digits) > 13:
                break
            kind = classify(digits)
            if kind is not None:
                found = (j, kind, digits)
                if kind == "phone" or len(digits) >= 11:
                    break
        if found is None:
            i += 1
            continue
        j, kind, digits = found
        if kind != "hotline" or len(digits) >= 10:  # no phone word before: no short hotline
            out.append((starts[i], starts[j] + len(runs[j]), digits))
        i = j + 1
    return out


def test_word_boundaries_over_a_long_ascii_run_are_those_of_the_whole_text() -> None:
    SEGMENTER.boundaries("预热")  # load jieba
    tok = SEGMENTER._tok
    pieces = ["最低", "价格", "1" * 300, "ab" * 90, "江南style", "4s店", "1号店", "中", "x"]
    rng = random.Random(5)
    for _ in range(200):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        whole, pos = {0}, 0
        for piece in tok.lcut(text, HMM=False):
            pos += len(piece)
            whole.add(pos)
        assert SEGMENTER.boundaries(text) == whole, text[:60]


# A word repeated back to back: the scan keeps the ends of the chain, not its 2,000 middles.
CHAINS = [
    ("赌博", "gambling.gambling_terms"),
    ("全网最低价", "absolute_claim.superlative"),
    ("加微信", "contact_diversion.private_im"),
    ("扣扣", "format.obfuscation"),
]


@pytest.mark.parametrize(("word", "rule"), CHAINS)
def test_a_word_repeated_2000_times_gets_the_findings_of_the_word_said_once(
    ruleset: RuleSet, word: str, rule: str
) -> None:
    def content(text: str) -> set[str]:
        # length rules see the length; the model sees a text that is one word over and over
        verdict = check(make_message(text, type="marketing"), ruleset)
        ids = {r for f in verdict.findings for r in f.rule_ids}
        return {r for r in ids if not r.startswith(("length.", "content_model."))}

    once = content(f"【信使商城】{word}")
    many = content(f"【信使商城】{word * 2000}")
    assert rule in once
    assert many == once


def test_a_clean_copy_inside_a_chain_of_padded_copies_is_found(ruleset: RuleSet) -> None:
    # 赌*******博 is too much noise to be a word (more than 3 removed characters per
    # character), but in the skeleton it chains with the one clean 赌博 in the middle: the
    # chain is shortened only after each match is checked, so padding its ends hides nothing.
    padded = "赌" + "*" * 7 + "博"
    text = "【信使商城】" + padded * 150 + "赌博" + padded * 150
    verdict = check(make_message(text, type="marketing"), ruleset)
    at = text.index("赌博")
    mine = [f for f in verdict.findings if "gambling.gambling_terms" in f.rule_ids]
    assert any(f.start <= at and at + 2 <= f.end for f in mine), [
        (f.rule_id, f.start, f.end) for f in verdict.findings
    ]


def test_the_model_reads_the_first_500_characters_of_the_body() -> None:
    from engine.content_model.model import MAX_READ, prepared

    assert MAX_READ == 500
    text, offset = prepared(normalize("中" * 3000))
    assert (len(text), offset) == (500, 0)
    text, offset = prepared(normalize("【信使】" + "中" * 3000), (4, 3004))
    assert (len(text), offset) == (500, 2)  # skeleton offset: the brackets are not in it


def test_bounded_words_in_a_long_message_get_the_boundaries_of_the_whole_text(
    ruleset: RuleSet,
) -> None:
    # Past 500 characters jieba reads a window around each bounded hit: the same verdict
    # as reading the whole text. 最低 is bounded: a word in 最低价, not in 最低温.
    pad = "今日天气晴朗。" * 80
    for tail, flagged in (("本店全网最低价", True), ("明日最低温零下三度", False)):
        text = "【信使商城】" + pad + tail
        verdict = check(make_message(text, type="marketing"), ruleset)
        rules = {r for f in verdict.findings for r in f.rule_ids}
        assert ("absolute_claim.superlative" in rules) is flagged, (tail, sorted(rules))


def test_past_32_distinct_windows_a_bounded_hit_counts_as_a_word(ruleset: RuleSet) -> None:
    # Each 最低温 below has its own context (the day), so each needs its own jieba window
    # (最低温 is one word: 最低 is not a word there). Past 32 windows the check stops asking
    # and counts 最低 as a word: a hit too many on a message over 500 characters (blocked
    # by length.max anyway), never one too few.
    ban = next(i for i, wl in enumerate(ruleset.lexicon.lists) if wl.name == "absolute_ban")

    def words(days: int) -> int:
        text = "【信使商城】" + "".join(f"{d}日最低温{d % 9}度，" for d in range(days))
        text += "晴" * max(0, 520 - len(text))
        hits = ruleset.lexicon.scan(normalize(text)).by_list.get(ban, [])
        return len([h for h in hits if h.entry.word == "最低"])

    assert words(30) == 0
    assert words(60) == 60 - 32


def test_in_a_long_message_a_copy_outside_its_allow_phrase_is_still_found(
    ruleset: RuleSet,
) -> None:
    # Past 500 characters the scan keeps a few matches per key and context; the context
    # reaches as far as any allow phrase, so 150 excused 唯一 (in 唯一入口) cannot hide the
    # one that is a claim, though its neighbours (，唯一入) are theirs.
    def rules(text: str) -> set[str]:
        verdict = check(make_message("【信使商城】" + text, type="marketing"), ruleset)
        return {r for f in verdict.findings for r in f.rule_ids}

    assert "absolute_claim.caution" not in rules("唯一入口，" * 150)
    assert "absolute_claim.caution" in rules("唯一入口，" * 150 + "唯一入选的品牌。")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # all Chinese, no punctuation: the skeleton is the original text (the fast path)
        ("唯一入口" * 150 + "快加微信", "contact_diversion.private_im"),
        # a word glued between digits is still a word (only digit-only words need a whole number)
        ("唯一入口" * 150 + "有1赌博2网", "gambling.gambling_terms"),
        ("今天天气很好" * 100 + "1赌博网站2", "gambling.gambling_terms"),
    ],
)
def test_a_word_after_300_matches_of_other_keys_is_found(
    ruleset: RuleSet, text: str, rule: str
) -> None:
    assert normalize(text).skeleton.text == text  # the case these inputs exist for
    verdict = check(make_message(text, type="marketing"), ruleset)
    assert rule in {r for f in verdict.findings for r in f.rule_ids}
