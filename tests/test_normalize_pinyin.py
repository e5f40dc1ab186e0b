"""engine.normalize.pinyin, case by case: tone-marked or tone-numbered pinyin of a word the
ruleset knows is read as the word in the folded view, with a `pinyin` mark on the original
letters; the work per message is bounded. Readings come from a small word list here, so the
cases do not move when the shipped rules do."""

from __future__ import annotations

import pytest

from engine.normalize import normalize
from engine.spellings import readings_of

READINGS = readings_of(["稳赚不赔", "稳赚", "微信", "加微信", "博彩", "牛股内参"])

# text -> (folded text, marks, original span of each folded character)
CASES = [
    ("wěnzhuàn", "稳赚", [(0, 8, "pinyin")], [(0, 3), (3, 8)]),
    ("wěn zhuàn bù péi", "稳赚不赔", [(0, 16, "pinyin")], [(0, 3), (4, 9), (10, 12), (13, 16)]),
    ("bó cǎi", "博彩", [(0, 6, "pinyin")], [(0, 2), (3, 6)]),
    ("bócǎi网站", "博彩网站", [(0, 5, "pinyin")], [(0, 2), (2, 5), (5, 6), (6, 7)]),
    ("加wēixìn", "加微信", [(1, 7, "pinyin")], [(0, 1), (1, 4), (4, 7)]),
    ("wēixìn: abc", "微信: abc", [(0, 6, "pinyin")],
     [(0, 3), (3, 6), (6, 7), (7, 8), (8, 9), (9, 10), (10, 11)]),
    # full-width letters and an ideographic space fold first; the span is the original's
    ("ＷĚＮ\u3000zhuàn", "稳赚", [(0, 9, "pinyin")], [(0, 3), (4, 9)]),
    ("稳赚 wěn zhuàn", "稳赚 稳赚", [(3, 12, "pinyin")], [(0, 1), (1, 2), (2, 3), (3, 6), (7, 12)]),
    # tone numbers instead of marks
    ("wen3zhuan4", "稳赚", [(0, 10, "pinyin")], [(0, 4), (4, 10)]),
    ("wen3 zhuan4", "稳赚", [(0, 11, "pinyin")], [(0, 4), (5, 11)]),
    ("wen3zhuan4bu4pei2", "稳赚不赔", [(0, 17, "pinyin")], [(0, 4), (4, 10), (10, 13), (13, 17)]),
    # part of a word in pinyin, the rest in characters around it
    ("稳zhuàn不赔", "稳赚不赔", [(1, 6, "pinyin")], [(0, 1), (1, 6), (6, 7), (7, 8)]),
    ("niúgǔ内参", "牛股内参", [(0, 5, "pinyin")], [(0, 3), (3, 5), (5, 6), (6, 7)]),
    # not read: one syllable, no known word, not syllables, the wrong order, no tone at all
    ("wēi", "wei", [], [(0, 1), (1, 2), (2, 3)]),
    ("lǎoshī好", "laoshi好", [], [(i, i + 1) for i in range(7)]),
    ("xīn wēi", "xin wei", [], [(i, i + 1) for i in range(7)]),
    ("wen3x4", "wen3x4", [], [(i, i + 1) for i in range(6)]),
    ("wenzhuan", "wenzhuan", [], [(i, i + 1) for i in range(8)]),
    ("稳赚不赔", "稳赚不赔", [], [(0, 1), (1, 2), (2, 3), (3, 4)]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "folded", "marks", "spans"), CASES)
def test_pinyin_of_a_known_word_is_read_as_the_word(
    text: str, folded: str, marks: list[tuple[int, int, str]], spans: list[tuple[int, int]]
) -> None:
    n = normalize(text, READINGS)
    assert n.folded.text == folded
    assert list(n.marks) == marks
    assert [n.folded_span(i, i + 1) for i in range(len(folded))] == spans
    for start, end, kind in marks:
        assert n.evasion_in(start, end) == kind


def test_without_readings_pinyin_stays_letters() -> None:
    assert normalize("wěnzhuàn").folded.text == "wenzhuan"
    assert normalize("wěnzhuàn", readings_of([])).folded.text == "wenzhuan"


def test_a_message_reads_at_most_200_syllables() -> None:
    n = normalize("wěnzhuàn，" * 120, READINGS)  # 240 syllables in 120 stretches
    assert n.folded.text.count("稳赚") == 100 and len(n.marks) == 100


def test_a_stretch_of_letters_longer_than_300_characters_is_not_pinyin() -> None:
    read = normalize("wěnzhuàn " * 33, READINGS)  # 297 characters
    assert read.folded.text.count("稳赚") == 33
    unread = normalize("wěnzhuàn " * 40, READINGS)  # 360 characters
    assert "稳赚" not in unread.folded.text and unread.marks == ()
    numbered = normalize("wen3zhuan4" + "ni3" * 150, READINGS)  # one numbered run of 460
    assert numbered.folded.text.startswith("wen3zhuan4ni3")


def test_letters_without_a_space_are_read_up_to_48() -> None:
    assert normalize("wěnzhuàn" * 6, READINGS).folded.text == "稳赚" * 6  # 48 letters
    assert "稳赚" not in normalize("wěnzhuàn" * 7, READINGS).folded.text  # 56
