"""engine/data/evasion_names.tsv -> the Chinese name of each ``evasion`` a finding may carry.

A plain TSV, so that ``xinshi check`` saying an evasion imports no YAML parser."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

NAMES_FILE = Path(__file__).resolve().parent / "data" / "evasion_names.tsv"


@lru_cache(maxsize=1)
def evasion_names() -> dict[str, str]:
    """Return {internal name: Chinese words} for every evasion name."""
    out: dict[str, str] = {}
    for line in NAMES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, words = line.split("\t")
            out[name.strip()] = words.strip()
    return out


def evasion_zh(name: str) -> str:
    """Say how a text was disguised, in Chinese (an unknown name: 其他变形写法)."""
    return evasion_names().get(name, "其他变形写法")
