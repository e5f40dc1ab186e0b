"""Normalization: folded and skeleton views, and the map back to the original text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.normalize import fold, normalize, normalize_word, tables


def test_full_width_case_and_traditional_fold() -> None:
    n = normalize("ＶＸ退訂請回覆T")
    assert n.folded.text == "vx退订请回复t"


def test_zero_width_characters_are_dropped_and_mapped() -> None:
    text = "加\u200b微\u200d信"
    n = normalize(text)
    assert n.folded.text == "加微信"
    assert n.skeleton_span(1, 3) == (2, 5)  # 微..信 in the original, across the U+200D


def test_fillers_between_characters_are_skipped() -> None:
    for text, skeleton in [
        ("最 低 价", "最低价"),
        ("最*低*价", "最低价"),
        ("微❤信", "微信"),
        ("加🌹微🌹信", "加微信"),
        ("最\u3000低\u3000价", "最低价"),
    ]:
        n = normalize(text)
        assert n.skeleton.text == skeleton
        assert n.skeleton_span(0, len(skeleton)) == (0, len(text))


def test_sentence_punctuation_is_kept_as_a_word_break() -> None:
    assert normalize("请勿回复。验证码").skeleton.text == "请勿回复。验证码"
    assert normalize("回复，验证码").skeleton.text == "回复,验证码"


def test_multi_character_folds_map_each_char_to_its_source() -> None:
    n = normalize("㈤折ﬁ")
    assert n.folded.text == "五折fi"
    assert n.folded_span(2, 4) == (2, 3)  # "fi" comes from the one ligature character


def test_circled_and_math_letters_fold() -> None:
    assert normalize("Ⓥ𝐱").skeleton.text == "vx"


def test_word_normalization_matches_message_normalization() -> None:
    assert normalize_word("全網最低價") == "全网最低价"
    assert normalize_word(" 加 V 信 ") == "加v信"


@given(st.text(max_size=60))
def test_every_skeleton_char_maps_inside_the_original(text: str) -> None:
    n = normalize(text)
    for i in range(len(n.skeleton.text)):
        s, e = n.skeleton_span(i, i + 1)
        assert 0 <= s < e <= len(text)
    for i in range(len(n.folded.text)):
        s, e = n.folded_span(i, i + 1)
        assert 0 <= s < e <= len(text)


@given(st.text(alphabet=st.sampled_from("最低价微信加vVＶ 　*❤\u200b。，!！訂"), max_size=30))
def test_skeleton_spans_are_monotonic(text: str) -> None:
    n = normalize(text)
    starts = [n.skeleton_span(i, i + 1)[0] for i in range(len(n.skeleton.text))]
    assert starts == sorted(starts)
    assert len(set(starts)) == len(starts)


@given(
    st.text(max_size=60)
    | st.text(alphabet=st.sampled_from("最低价ㄅ㈤ﬁ 　*❤🌹\u200b。訂V"), max_size=30)
)
def test_skeleton_starts_agrees_with_skeleton_span(text: str) -> None:
    n = normalize(text)
    starts = n.skeleton_starts()
    for i in range(len(n.skeleton.text)):
        for j in range(i + 1, min(i + 4, len(n.skeleton.text)) + 1):
            expected = n.skeleton_span(i, j)
            got = (i, j) if starts is None else (starts[i], starts[j - 1] + 1)
            assert got == expected


@settings(deadline=None)  # the first example builds the tables (0.3 s) when run alone
@given(
    st.text(max_size=40) | st.text(alphabet=st.sampled_from("Ａ訂𝐱🌹Ⓥ\u346e㈤ 　*価"), max_size=20)
)
def test_fast_tables_agree_with_the_reference_folds(text: str) -> None:
    t = tables()
    assert fold(text) == text.translate(t.fold_one)
    n = normalize(text)
    stripped = t.noise_run.sub("", n.folded.text)  # the reference: strip noise, then fold
    assert n.skeleton.text == stripped.translate(t.lookalikes)  # look-alike letters (ı -> i)
    assert n.plain in (None, stripped)  # kept when a look-alike was folded
