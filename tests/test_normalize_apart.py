"""engine.normalize.apart, case by case: characters written apart (one per line, between spaces
or 、, each in brackets) are joined in the folded view, a clause a cue marks as backwards is
read forwards, and each folded character still knows its original index (what a finding
underlines). The values were worked out by hand from the rules in the module's comments."""

from __future__ import annotations

import pytest

from engine.normalize import normalize

# text -> (folded text, marks: original span and evasion, original index of each folded char)
CASES = [
    # one character per line
    ("司\n美\n格\n鲁\n肽", "司美格鲁肽", [(0, 9, "vertical")], [0, 2, 4, 6, 8]),
    ("电\n话\n号\n码1\n3\n8", "电话号码1\n3\n8", [(0, 7, "vertical")], [0, 2, 4, 6, 7, 8, 9, 10, 11]),
    # a word broken over two lines, one character alone on one side
    ("丢\n失，请联系", "丢失,请联系", [(0, 3, "vertical")], [0, 2, 3, 4, 5, 6]),
    ("，丢\n失去", ",丢失去", [(1, 4, "vertical")], [0, 1, 3, 4]),
    ("我们丢\n失", "我们丢失", [(2, 5, "vertical")], [0, 1, 2, 4]),
    ("我们丢\n失，好", "我们丢失,好", [(2, 5, "vertical")], [0, 1, 2, 4, 5, 6]),
    ("麻\n将机", "麻将机", [(0, 3, "vertical")], [0, 2, 3]),
    ("好的\n明天见", "好的\n明天见", [], [0, 1, 2, 3, 4, 5]),  # two words on two lines
    ("我们丢\n失去", "我们丢\n失去", [], [0, 1, 2, 3, 4, 5]),  # a word ends each line
    ("好，丢\n失去", "好,丢失去", [(2, 5, "vertical")], [0, 1, 2, 4, 5]),  # alone after a comma
    # one per line with a letter between (no line break between two Chinese characters);
    # old Mac line ends (\r) and Windows ones (\r\n) are line breaks too
    ("加\nv\n信", "加v信", [(0, 5, "vertical")], [0, 2, 4]),
    ("加\rv\r信", "加v信", [(0, 5, "vertical")], [0, 2, 4]),
    ("加\r\nv\r\n信", "加v信", [(0, 7, "vertical")], [0, 3, 6]),
    # each character in brackets, close together (at most two characters between)
    ("(消)(除)", "消除", [(0, 6, "bracketed")], [1, 4]),
    ("【无】【删】", "无删", [(0, 6, "bracketed")], [1, 4]),
    ("(存)9(年)", "存9年", [(0, 7, "bracketed")], [1, 3, 5]),
    ("(存)99(年)", "存99年", [(0, 8, "bracketed")], [1, 3, 4, 6]),
    ("(存)999(年)", "(存)999(年)", [], list(range(9))),  # three apart: two brackets
    ("「满」「意」", "满意", [(0, 6, "bracketed")], [1, 4]),
    # a lone bracketed character first does not hide a pair after it
    ("(好)的话，(消)(除)", "(好)的话,消除", [(6, 12, "bracketed")], [0, 1, 2, 3, 4, 5, 7, 10]),
    # brackets of one side only as separators
    ("上】门】服】务", "上门服务", [(0, 7, "bracketed")], [0, 2, 4, 6]),
    ("上【门【服【务", "上门服务", [(0, 7, "bracketed")], [0, 2, 4, 6]),
    # a far third bracket does not join the first pair's run
    ("(消)(除)，好的(好)", "消除,好的(好)", [(0, 6, "bracketed")], [1, 4, 6, 7, 8, 9, 10, 11]),
    # single characters between spaces, dots or 、, and the word the same separator reaches
    ("上、门、服、务", "上门服务", [(0, 7, "noise")], [0, 2, 4, 6]),
    ("缴纳入、职、体、检、费", "缴纳入职体检费", [(2, 11, "noise")], [0, 1, 2, 4, 6, 8, 10]),
    ("缴纳 入 职 体 检", "缴纳入职体检", [(1, 10, "noise")], [0, 1, 3, 5, 7, 9]),
    ("好，入、职、体", "好,入职体", [(2, 7, "noise")], [0, 1, 2, 4, 6]),
    # two characters apart and a word on one side: the word is joined to them
    ("，缴纳入、职、体", ",缴纳入职体", [(3, 8, "noise")], [0, 1, 2, 3, 5, 7]),
    ("上、门、服务", "上门服务", [(0, 5, "noise")], [0, 2, 4, 5]),
    # a Latin letter before the separator is not a Chinese word to join
    ("加v 上 门 服 务", "加v 上门服务", [(3, 10, "noise")], [0, 1, 2, 3, 5, 7, 9]),
    ("稳.赚.不.赔", "稳赚不赔", [(0, 7, "noise")], [0, 2, 4, 6]),
    ("一 二 三", "一二三", [(0, 5, "noise")], [0, 2, 4]),
    ("加 v 信 号", "加v信号", [(0, 7, "noise")], [0, 2, 4, 6]),
    # between two letters or two digits the separator stays
    ("加 v x 号", "加v x号", [(0, 7, "noise")], [0, 2, 3, 4, 6]),
    ("一 1 2 二", "一1 2二", [(0, 7, "noise")], [0, 2, 3, 4, 6]),
    # what is not a word written apart
    ("一 二", "一 二", [], [0, 1, 2]),  # two characters, nothing on either side
    ("张 三", "张 三", [], [0, 1, 2]),
    ("是，否，好", "是,否,好", [], [0, 1, 2, 3, 4]),  # sentence punctuation never joins
    ("1.2.3.4", "1.2.3.4", [], list(range(7))),  # a list or a version, not a word
    ("a b c", "a b c", [], list(range(5))),
    ("微 信：abc", "微 信:abc", [], list(range(7))),
    ("a 座 b，你好", "a 座 b,你好", [], list(range(8))),  # one Chinese character: initials
    # after a fold that turns one character into two (ﬁ -> fi), indices stay the original's
    ("ﬁ：司\n美\n格", "fi:司美格", [(2, 7, "vertical")], [0, 0, 1, 2, 4, 6]),
    ("ﬁ(消)(除)", "fi消除", [(1, 7, "bracketed")], [0, 0, 2, 5]),
    ("ﬁ丢\n失，", "fi丢失,", [(1, 4, "vertical")], [0, 0, 1, 3, 4]),
    # read backwards: the clause before a cue set apart, or after a cue and a colon
    ("高最率过通市全（倒着读）", "全市通过率最高(倒着读)", [(0, 7, "reversed")],
     [6, 5, 4, 3, 2, 1, 0, 7, 8, 9, 10, 11]),
    ("复修信征(反过来念)", "征信修复(反过来念)", [(0, 4, "reversed")], [3, 2, 1, 0, 4, 5, 6, 7, 8, 9]),
    ("本回月个三（倒序）", "三个月回本(倒序)", [(0, 5, "reversed")], [4, 3, 2, 1, 0, 5, 6, 7, 8]),
    ("赔不赚稳倒着读", "稳赚不赔倒着读", [(0, 4, "reversed")], [3, 2, 1, 0, 4, 5, 6]),  # at the end
    ("赔不赚稳（倒着读）好", "稳赚不赔(倒着读)好", [(0, 4, "reversed")],
     [3, 2, 1, 0, 4, 5, 6, 7, 8, 9]),
    ("倒着读：赔不赚稳", "倒着读:稳赚不赔", [(4, 8, "reversed")], [0, 1, 2, 3, 7, 6, 5, 4]),
    ("x倒着读：赔不赚稳，好", "x倒着读:稳赚不赔,好", [(5, 9, "reversed")],
     [0, 1, 2, 3, 4, 8, 7, 6, 5, 9, 10]),
    ("赚稳倒着读，赔不倒着读", "稳赚倒着读,不赔倒着读", [(0, 2, "reversed"), (6, 8, "reversed")],
     [1, 0, 2, 3, 4, 5, 7, 6, 8, 9, 10]),
    ("赔不(倒着读)", "不赔(倒着读)", [(0, 2, "reversed")], [1, 0, 2, 3, 4, 5, 6]),
    # a cue set apart by one bracket, opening or closing, with text after it
    ("赔不赚稳（倒着读好", "稳赚不赔(倒着读好", [(0, 4, "reversed")], [3, 2, 1, 0, 4, 5, 6, 7, 8]),
    ("赔不赚稳倒着读）好", "稳赚不赔倒着读)好", [(0, 4, "reversed")], [3, 2, 1, 0, 4, 5, 6, 7, 8]),
    # a clause of odd length after the colon ends at the comma
    ("倒着读：费免全，快来", "倒着读:全免费,快来", [(4, 7, "reversed")], [0, 1, 2, 3, 6, 5, 4, 7, 8, 9]),
    # a zero-width space in the clause: reversed with the original's indices
    ("赔不\u200b赚稳（倒着读）", "稳赚不赔(倒着读)", [(0, 5, "reversed")],
     [4, 3, 1, 0, 5, 6, 7, 8, 9]),
    # a cue word in a sentence, or a clause of one character, does not stop a later cue
    ("按时间倒序排列，赔不赚稳（倒着读）", "按时间倒序排列,稳赚不赔(倒着读)", [(8, 12, "reversed")],
     [0, 1, 2, 3, 4, 5, 6, 7, 11, 10, 9, 8, 12, 13, 14, 15, 16]),
    ("好，赔（倒着读），赔不赚稳（倒着读）", "好,赔(倒着读),稳赚不赔(倒着读)", [(9, 13, "reversed")],
     [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 11, 10, 9, 13, 14, 15, 16, 17]),
    # a word in a sentence, not a cue set apart; a cue with nothing before it
    ("按时间倒序排列", "按时间倒序排列", [], list(range(7))),
    ("稳赚不赔倒着读吗", "稳赚不赔倒着读吗", [], list(range(8))),
    ("倒着读", "倒着读", [], [0, 1, 2]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "folded", "marks", "origin"), CASES)
def test_text_written_apart_or_backwards(
    text: str, folded: str, marks: list[tuple[int, int, str]], origin: list[int]
) -> None:
    n = normalize(text)
    assert n.folded.text == folded
    assert list(n.marks) == marks
    assert [n.folded_span(i, i + 1)[0] for i in range(len(folded))] == origin
    for start, end, kind in marks:  # the evasion a finding on the span reports
        assert n.evasion_in(start, end) == kind


def test_work_on_broken_lines_is_bounded() -> None:
    # 300 words broken over two lines: the first 256 are joined, the rest left as written
    n = normalize("丢\n失，" * 300)
    assert n.folded.text.count("\n") == 300 - 256
    assert len(n.marks) == 256 and n.marks[-1] == (1020, 1023, "vertical")


def test_a_run_of_single_characters_longer_than_any_message_is_left_as_written() -> None:
    assert normalize("字 " * 300).folded.text == "字 " * 300  # 600 characters: past the reach
    n = normalize("字 " * 200)  # 400 characters: joined
    assert n.folded.text == "字" * 200 + " " and n.marks == ((0, 399, "noise"),)


def test_a_run_of_single_characters_of_exactly_520_characters_is_joined() -> None:
    at_reach = "字  " * 173 + "字"  # 520 characters
    n = normalize(at_reach)
    assert n.folded.text == "字" * 174 and n.marks == ((0, 520, "noise"),)
    past = "字  " * 174 + "字"  # 523
    assert normalize(past).folded.text == past and normalize(past).marks == ()


def test_a_short_run_after_300_characters_is_joined() -> None:
    n = normalize("好" * 300 + "，上、门、服、务")  # a short run after 301 characters
    assert n.folded.text == "好" * 300 + ",上门服务"
    assert n.marks == ((301, 308, "noise"),)


def test_work_on_bracketed_characters_is_bounded() -> None:
    n = normalize("(字)" * 300)
    assert n.folded.text.count("(") == 300 - 256
    assert n.marks == ((0, 768, "bracketed"),)
