"""Segment counts at every boundary, from the providers' published limits (not from the code).

Mainland (Aliyun, Huawei): up to 70 characters is one SMS, longer ones are parts of 67.
International: GSM-7 is 160 / 153 per part (extended characters count 2); anything outside
GSM-7 switches the whole message to UCS-2, 70 / 67 per part.
"""

from __future__ import annotations

import pytest

from engine.segments import count_non_gsm7, international_length, non_gsm7_chars, ucs2_length


def _parts(n: int, single: int, part: int) -> int:
    """Independent oracle: the smallest k with k * part >= n (or 1 when n fits one SMS)."""
    if n == 0:
        return 0
    if n <= single:
        return 1
    k = 1
    while k * part < n:
        k += 1
    return k


UCS2_EDGES = [0, 1, 69, 70, 71, 133, 134, 135, 200, 201, 202, 268, 269, 500]
GSM7_EDGES = [0, 1, 159, 160, 161, 305, 306, 307, 459, 460]


@pytest.mark.parametrize(
    ("n", "segments"),
    [(0, 0), (1, 1), (69, 1), (70, 1), (71, 2), (133, 2), (134, 2), (135, 3), (201, 3),
     (202, 4), (268, 4), (269, 5)],
)  # fmt: skip
def test_mainland_segments_at_each_boundary(n: int, segments: int) -> None:
    size = ucs2_length("字" * n)
    assert (size.chars, size.segments, size.encoding) == (n, segments, "ucs2")
    assert (size.single_limit, size.part_limit) == (70, 67)
    assert ucs2_length("a" * n).segments == segments  # mainland: Latin letters count 1 too


@pytest.mark.parametrize("n", UCS2_EDGES)
def test_international_ucs2_is_70_then_67(n: int) -> None:
    text = "你" + "a" * (n - 1) if n else ""
    size = international_length(text)
    if n:
        assert (size.encoding, size.single_limit, size.part_limit) == ("ucs2", 70, 67)
    assert (size.chars, size.segments) == (n, _parts(n, 70, 67))


@pytest.mark.parametrize(("n", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_international_ucs2_parts_are_67_not_70(n: int, segments: int) -> None:
    assert international_length("é你" + "x" * (n - 2)).segments == segments


@pytest.mark.parametrize("n", GSM7_EDGES)
def test_gsm7_is_160_then_153(n: int) -> None:
    size = international_length("a" * n)
    assert (size.encoding, size.chars, size.segments) == ("gsm7", n, _parts(n, 160, 153))
    assert (size.single_limit, size.part_limit) == (160, 153)


@pytest.mark.parametrize(("basic", "segments"), [(158, 1), (159, 2), (304, 2), (305, 3)])
def test_gsm7_extended_characters_count_two(basic: int, segments: int) -> None:
    size = international_length("a" * basic + "€")
    assert (size.chars, size.segments) == (basic + 2, segments)


@pytest.mark.parametrize("ch", list("|^€{}[]~\\"))
def test_every_extended_character_counts_two(ch: str) -> None:
    assert international_length(ch).chars == 2
    assert non_gsm7_chars("a" + ch) == []


@pytest.mark.parametrize("ch", ["，", "你", "¢", "`"])
def test_one_non_gsm7_character_switches_everything_to_ucs2(ch: str) -> None:
    size = international_length("a" * 100 + ch)
    assert (size.encoding, size.chars, size.segments) == ("ucs2", 101, 2)
    assert non_gsm7_chars("ab" + ch + "c" + ch) == [2, 4]


def test_counting_non_gsm7_stops_after_the_limit() -> None:
    assert count_non_gsm7("你好吗朋友", 10) == 5
    assert count_non_gsm7("你好吗朋友", 2) == 3
    assert count_non_gsm7("abc", 0) == 0
