"""engine.normalize.view.View: every view character maps back to the source character it came
from, and ``count_before`` agrees with counting those source indices one by one (the oracle
below), for views that delete runs of characters and views that list their source indices."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from engine.normalize.view import View

NOISE = re.compile(r"[ *·]+")
SOURCES = st.text(alphabet="加微信ab1 *·", max_size=40)


def _removed_view(source: str) -> tuple[View, list[int]]:
    """The view with NOISE deleted, and the source index of each kept character (the oracle)."""
    kept = [i for i, ch in enumerate(source) if not NOISE.fullmatch(ch)]
    return View(NOISE.sub("", source), source=source, removed=NOISE), kept


@given(SOURCES)
def test_count_before_of_a_deleting_view_counts_kept_characters_before_i(source: str) -> None:
    view, kept = _removed_view(source)
    for i in range(len(source) + 1):  # 0 <= i <= len(source), the method's domain
        assert view.count_before(i) == sum(k < i for k in kept), (source, i)


@given(SOURCES)
def test_each_character_of_a_deleting_view_maps_to_its_source_character(source: str) -> None:
    view, kept = _removed_view(source)
    for j, k in enumerate(kept):
        assert view.to_source(j, j + 1) == (k, k + 1)
        assert source[k] == view.text[j]
    if kept:  # a span covers from its first character's source to its last's
        assert view.to_source(0, len(kept)) == (kept[0], kept[-1] + 1)


def test_count_before_with_runs_at_both_ends_and_inside() -> None:
    source = "**加 *微··信**"
    view, kept = _removed_view(source)
    assert view.text == "加微信" and kept == [2, 5, 8]
    # before the first kept character, on it, inside a run and after the last run
    assert [view.count_before(i) for i in (0, 2, 3, 4, 5, 6, 8, 9, 10, 11)] == [
        0, 0, 1, 1, 1, 2, 2, 3, 3, 3,
    ]  # fmt: skip


@given(st.lists(st.integers(0, 50), max_size=20, unique=True).map(sorted))
def test_count_before_of_a_view_with_source_indices_is_bisection(starts: list[int]) -> None:
    view = View("x" * len(starts), starts=tuple(starts))
    for i in range(55):
        assert view.count_before(i) == sum(s < i for s in starts)


def test_a_view_without_a_map_is_its_source() -> None:
    view = View("abc")
    assert view.is_source and view.count_before(2) == 2 and view.to_source(1, 3) == (1, 3)
    assert not View("ac", source="abc", removed=re.compile("b")).is_source
    assert not View("ac", starts=(0, 2)).is_source


def test_a_permuted_view_maps_a_span_to_its_outermost_source_characters() -> None:
    # 倒着读: the view reads source indices 3, 2, 1; one character may stand for several
    backwards = View("abc", starts=(3, 2, 1), permuted=True)
    assert backwards.to_source(0, 3) == (1, 4)
    assert backwards.to_source(0, 1) == (3, 4)
    spelled = View("稳赚", starts=(0, 4), permuted=True, ends=(4, 9))  # wen zhuan
    assert spelled.to_source(0, 2) == (0, 9)
    assert spelled.to_source(1, 2) == (4, 9)
    # not permuted: the span runs from the first character's source to the last one's
    assert View("ab", starts=(3, 1)).to_source(0, 2) == (3, 2)


def test_an_empty_span_maps_to_a_point() -> None:
    view, _ = _removed_view("a**b")
    assert view.to_source(1, 1) == (3, 3)
    assert View("ab", starts=(4, 7)).to_source(2, 2) == (8, 8)
    assert View("", starts=()).to_source(0, 0) == (0, 0)
