"""Every industry and provider profile of the shipped ruleset has a Chinese name on the pages
(common.js), so no select or example line shows an internal name such as 'real_estate'."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import RULES

COMMON = Path(__file__).resolve().parent.parent / "engine" / "api" / "static" / "common.js"


def _names(const: str) -> dict[str, str]:
    body = re.search(rf"const {const} = \{{(.*?)\}};", COMMON.read_text(encoding="utf-8"), re.S)
    assert body is not None, const
    return dict(re.findall(r'(\w+): "([^"]+)"', body.group(1)))


def test_every_industry_and_profile_has_a_chinese_name() -> None:
    config = yaml.safe_load((RULES / "ruleset.yaml").read_text(encoding="utf-8"))
    industries, profiles = _names("INDUSTRY_ZH"), _names("PROFILE_ZH")
    assert sorted(set(config["industries"]) - set(industries)) == []
    assert sorted(set(config["profiles"]) - set(profiles)) == []
    for zh in [*industries.values(), *profiles.values()]:
        assert re.search(r"[\u4e00-\u9fff]", zh), zh
    assert _names("TYPE_ZH") == {
        "marketing": "营销",
        "notification": "通知",
        "verification": "验证码",
    }


def test_every_evasion_name_has_chinese_words() -> None:
    from typing import get_args

    from engine.evasion_names import evasion_names, evasion_zh
    from engine.rule_types.contact import Evasion as ContactEvasion
    from engine.spellings import EVASIONS

    names = evasion_names()
    missing = sorted({*EVASIONS, *get_args(ContactEvasion)} - set(names))
    assert missing == []
    assert all(re.search(r"[\u4e00-\u9fff]", w) for w in names.values())
    assert evasion_zh("noise") == "夹杂符号或空格" and evasion_zh("nonsense") == "其他变形写法"
