"""Billing segments (Aliyun/Huawei: 70 per single SMS, 67 per part; GSM-7 160/153)."""

from __future__ import annotations

import pytest

from engine.segments import international_length, ucs2_length


@pytest.mark.parametrize(
    ("n", "segments"), [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (160, 3), (500, 8)]
)
def test_mainland_segments(n: int, segments: int) -> None:
    assert ucs2_length("字" * n).segments == segments


def test_signature_brackets_count() -> None:
    assert ucs2_length("【华为云】").chars == 5


def test_gsm7_counts_extended_characters_twice() -> None:
    size = international_length("a" * 158 + "{")
    assert (size.encoding, size.chars, size.segments) == ("gsm7", 160, 1)
    assert international_length("a" * 161).segments == 2


def test_one_chinese_comma_switches_to_ucs2() -> None:
    size = international_length("Your code is 386512，valid for 5 min.")
    assert size.encoding == "ucs2"
