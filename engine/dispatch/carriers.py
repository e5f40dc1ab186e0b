"""Which carrier and region a mainland mobile number belongs to, from its prefix.

The carrier comes from the number block's first three (or four) digits as MIIT allocated them;
numbers ported to another carrier keep their old prefix, so it is the block's carrier, not
necessarily the subscriber's. The region comes from a small shipped table of 7-digit blocks
(engine/data/cn_mobile_prefixes.tsv, its source in its header); numbers outside it are in
region "unknown". The fake provider and the provider scorecard both read numbers this way.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import NamedTuple

CARRIERS = ("cmcc", "cucc", "ctcc", "cbn", "virtual")
CARRIER_NAMES = {"cmcc": "中国移动", "cucc": "中国联通", "ctcc": "中国电信", "cbn": "中国广电",
                 "virtual": "虚拟运营商", "unknown": "未知"}  # fmt: skip
UNKNOWN = "unknown"

# MIIT allocations (3-digit blocks; 4-digit ones checked first)
_BLOCKS: dict[str, tuple[str, ...]] = {
    "cmcc": ("134", "135", "136", "137", "138", "139", "147", "148", "150", "151", "152",
             "157", "158", "159", "172", "178", "182", "183", "184", "187", "188", "195",
             "197", "198"),
    "cucc": ("130", "131", "132", "145", "146", "155", "156", "166", "175", "176", "185",
             "186", "196"),
    "ctcc": ("133", "149", "153", "173", "174", "177", "180", "181", "189", "190", "191",
             "193", "199", "1349"),
    "cbn": ("192",),
    "virtual": ("162", "165", "167", "170", "171"),
}  # fmt: skip
_BY_PREFIX = {p: c for c, blocks in _BLOCKS.items() for p in blocks}


class Block(NamedTuple):
    """A shipped 7-digit number block."""

    prefix: str
    carrier: str
    province: str
    city: str


def national(phone: str) -> str:
    """The 11-digit national number of ``+8613812345678``, ``8613812345678`` or ``138...``."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-11:] if len(digits) >= 11 else digits


def carrier_of(phone: str) -> str:
    """``cmcc``, ``cucc``, ``ctcc``, ``cbn``, ``virtual`` or ``unknown``, from the prefix."""
    n = national(phone)
    return _BY_PREFIX.get(n[:4]) or _BY_PREFIX.get(n[:3]) or UNKNOWN


@cache
def blocks() -> dict[str, Block]:
    """The shipped 7-digit blocks by prefix."""
    text = resources.files("engine").joinpath("data/cn_mobile_prefixes.tsv").read_text("utf-8")
    out: dict[str, Block] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith(("#", "prefix\t")):
            continue
        prefix, carrier, province, city = line.split("\t")
        out[prefix] = Block(prefix, carrier, province, city)
    return out


def region_of(phone: str) -> str:
    """The province of a number's block (``广东省``), or ``unknown`` outside the shipped table."""
    block = blocks().get(national(phone)[:7])
    return block.province if block else UNKNOWN


def sample_numbers(per_block: int = 1, suffix_from: int = 5000) -> list[tuple[str, str, str]]:
    """(number, carrier, province) for every shipped block, ``per_block`` numbers each; suffixes
    from ``suffix_from`` stay clear of the fake provider's magic endings (0001-0012)."""
    return [
        (f"{b.prefix}{suffix_from + i:04d}", b.carrier, b.province)
        for b in blocks().values()
        for i in range(per_block)
    ]
