"""engine.normalize.pinyin, case by case: tone-marked or tone-numbered pinyin of a word the
ruleset knows is read as the word in the folded view, with a `pinyin` mark on the original
letters; the work per message is bounded. Readings come from a small word list here, so the
cases do not move when the shipped rules do."""

from __future__ import annotations

import pytest

from engine.normalize import normalize
from engine.spellings import readings_of

READINGS = readings_of(
    [
        "稳赚不赔",
        "稳赚",
        "微信",
        "加微信",
        "博彩",
        "牛股内参",
        "股票",
        "阿里",
        "西安",
        "反感",
        "方案",
    ]
)

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
    # both tone marks and numbers: read once; "mp3" is not pinyin and not in the run
    ("wěn3zhuàn4，wěnzhuàn", "稳赚,稳赚", [(0, 10, "pinyin"), (11, 19, "pinyin")],
     [(0, 4), (4, 10), (10, 11), (11, 14), (14, 19)]),
    ("wen3zhuan4 送mp3", "稳赚 送mp3", [(0, 10, "pinyin")],
     [(0, 4), (4, 10), (10, 11), (11, 12), (12, 13), (13, 14), (14, 15)]),
    # a word after a syllable that starts none, after one that starts a longer word only,
    # or before a syllable that is not part of it
    ("hǎo wěn zhuàn", "hao 稳赚", [(4, 13, "pinyin")],
     [(0, 1), (1, 2), (2, 3), (3, 4), (4, 7), (8, 13)]),
    ("hǎo niú gǔ piào", "hao niu 股票", [(8, 15, "pinyin")],
     [(i, i + 1) for i in range(8)] + [(8, 10), (11, 15)]),
    ("wěn zhuàn hǎo", "稳赚 hao", [(0, 9, "pinyin")],
     [(0, 3), (4, 9), (9, 10), (10, 11), (11, 12), (12, 13)]),
    # the stretch starts at its first letter, toned or not, and stops at what is not a letter
    ("jia wēixìn", "加微信", [(0, 10, "pinyin")], [(0, 3), (4, 7), (7, 10)]),
    ("[wěnzhuàn]", "[稳赚]", [(1, 9, "pinyin")], [(0, 1), (1, 4), (4, 9), (9, 10)]),
    # one-letter syllables, toned or not, first in the text or after a comma
    ("a lǐ", "阿里", [(0, 4, "pinyin")], [(0, 1), (2, 4)]),
    ("ā li", "阿里", [(0, 4, "pinyin")], [(0, 1), (2, 4)]),
    ("，a lǐ", ",阿里", [(1, 5, "pinyin")], [(0, 1), (1, 2), (3, 5)]),
    # two tone marks are two syllables (xī'ān written without the apostrophe); else the
    # fewest syllables win, and of two splits as short the one with the longer last syllable:
    # fāngàn is fan gan (反感), as pinyin writes fāng'àn (方案) with an apostrophe
    ("xīān", "西安", [(0, 4, "pinyin")], [(0, 2), (2, 4)]),
    ("去xīān", "去西安", [(1, 5, "pinyin")], [(0, 1), (1, 3), (3, 5)]),
    ("xiān", "xian", [], [(0, 1), (1, 2), (2, 3), (3, 4)]),
    ("fāngàn", "反感", [(0, 6, "pinyin")], [(0, 3), (3, 6)]),
    # a zero-width space inside the pinyin: spans are still the original's
    ("wěn\u200bzhuàn", "稳赚", [(0, 9, "pinyin")], [(0, 3), (4, 9)]),
    # after characters written one per line (the folded text is 5 characters shorter)
    ("上\n门\n服\n务\n按\n摩，wēixìn", "上门服务按摩,微信", [(0, 11, "vertical"), (12, 18, "pinyin")],
     [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11), (11, 12), (12, 15), (15, 18)]),
    # pinyin written backwards with a cue: read forwards, then as the word
    ("nàuhzněw证保（倒着读）", "保证稳赚(倒着读)", [(0, 10, "reversed")],
     [(9, 10), (8, 9), (5, 8), (0, 5), (10, 11), (11, 12), (12, 13), (13, 14), (14, 15)]),
    # part of a word in pinyin, the rest in characters around it
    ("稳zhuàn不赔", "稳赚不赔", [(1, 6, "pinyin")], [(0, 1), (1, 6), (6, 7), (7, 8)]),
    ("niúgǔ内参", "牛股内参", [(0, 5, "pinyin")], [(0, 3), (3, 5), (5, 6), (6, 7)]),
    ("稳zhuàn", "稳赚", [(1, 6, "pinyin")], [(0, 1), (1, 6)]),
    ("，稳zhuàn", ",稳赚", [(2, 7, "pinyin")], [(0, 1), (1, 2), (2, 7)]),
    ("稳zhuàn不赔好", "稳赚不赔好", [(1, 6, "pinyin")], [(0, 1), (1, 6), (6, 7), (7, 8), (8, 9)]),
    ("稳zhuàn bù péi", "稳赚不赔", [(1, 13, "pinyin")], [(0, 1), (1, 6), (7, 9), (10, 13)]),
    ("稳zhuàn，wěnzhuàn", "稳赚,稳赚", [(1, 6, "pinyin"), (7, 15, "pinyin")],
     [(0, 1), (1, 6), (6, 7), (7, 10), (10, 15)]),
    # ... only when the characters around it are the word's
    ("牛zhuàn", "牛zhuan", [], [(i, i + 1) for i in range(6)]),
    ("牛zhuàn不赔", "牛zhuan不赔", [], [(i, i + 1) for i in range(8)]),
    # not read: one syllable, no known word, not syllables, the wrong order, no tone at all
    ("wēi", "wei", [], [(0, 1), (1, 2), (2, 3)]),
    ("lǎoshī好", "laoshi好", [], [(i, i + 1) for i in range(7)]),
    ("xīn wēi", "xin wei", [], [(i, i + 1) for i in range(7)]),
    ("wen3x4", "wen3x4", [], [(i, i + 1) for i in range(6)]),
    ("wenzhuan", "wenzhuan", [], [(i, i + 1) for i in range(8)]),
    ("quiz wěnzhuàn", "quiz wenzhuan", [], [(i, i + 1) for i in range(13)]),  # not all pinyin
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


def test_letters_split_into_the_fewest_syllables() -> None:
    # tian|an|men, not ti|a|nan|men; jin|ke|neng, not jin|ken|eng (as many, the last longer)
    readings = readings_of(["天安门", "尽可能"])
    assert normalize("tiānānmén", readings).folded.text == "天安门"
    assert normalize("jǐnkěnéng", readings).folded.text == "尽可能"


def test_of_two_words_a_part_fits_equally_the_first_listed_wins() -> None:
    assert normalize("稳zhuàn", readings_of(["稳赚", "稳转"])).folded.text == "稳赚"
    assert normalize("稳zhuàn", readings_of(["稳转", "稳赚"])).folded.text == "稳转"


def test_tone_numbers_count_towards_the_200_syllables() -> None:
    at_limit = normalize("wěnzhuàn，" * 99 + "wen3zhuan4", READINGS)  # 198 + 2 syllables
    assert at_limit.folded.text == "稳赚," * 99 + "稳赚" and len(at_limit.marks) == 100
    past = normalize("wěnzhuàn，" * 100 + "wen3zhuan4", READINGS)  # 200 + 2
    assert past.folded.text == "稳赚," * 100 + "wen3zhuan4" and len(past.marks) == 100


def test_a_stretch_of_exactly_300_characters_is_pinyin() -> None:
    toned = normalize("wěnzhuàn " * 33 + "wěn", READINGS)  # one stretch of 300
    assert toned.folded.text == "稳赚 " * 33 + "wen" and len(toned.marks) == 33
    numbered = "wen3zhuan4" + "ni3" * 2 + "hao3" * 71  # one numbered run of 300
    n = normalize(numbered, READINGS)
    assert n.folded.text == "稳赚" + numbered[10:] and n.marks == ((0, 10, "pinyin"),)
    longer = "wen3zhuan4" + "ni3" * 3 + "hao3" * 71  # 303
    assert normalize(longer, READINGS).folded.text == longer


def test_the_300_character_bound_is_on_the_run_not_its_place() -> None:
    late = normalize("好" * 300 + "wen3zhuan4", READINGS)
    assert late.folded.text == "好" * 300 + "稳赚" and late.marks == ((300, 310, "pinyin"),)
    after_junk = normalize("ni3" * 150 + "，wen3zhuan4", READINGS)  # a run of 450, then 10
    assert after_junk.folded.text == "ni3" * 150 + ",稳赚"
    assert after_junk.marks == ((451, 461, "pinyin"),)


def test_a_tone_mark_past_300_letters_reads_the_300_before_it() -> None:
    # the stretch is looked back at 300 characters at most: "a a ... a lǐ" (302) is read
    # from its second "a" on, so 阿里 at its end is found
    n = normalize("a " * 150 + "lǐ", READINGS)
    assert n.folded.text == "a " * 149 + "阿里" and n.marks == ((298, 302, "pinyin"),)
