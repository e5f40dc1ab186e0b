"""Every rule's inline examples, as data: flag examples trigger it, pass examples do not."""

from __future__ import annotations

import pytest

from engine.rule_examples import iter_examples, run_example
from engine.ruleset import RuleSet, load_ruleset
from tests.conftest import RULES

_RULESET = load_ruleset(RULES)
_CASES = iter_examples(_RULESET)


@pytest.mark.parametrize(
    ("rule", "expect", "example"),
    _CASES,
    ids=[f"{pr.full_id}-{expect}-{i}" for i, (pr, expect, _) in enumerate(_CASES)],
)
def test_inline_example(rule, expect, example) -> None:  # type: ignore[no-untyped-def]
    result = run_example(_RULESET, rule, expect, example)
    assert result.ok, f"{rule.path}: {rule.full_id} {expect}: {example.text!r}: {result.problem}"


def test_every_rule_has_a_flag_and_a_pass_example(ruleset: RuleSet) -> None:
    missing = [
        pr.full_id
        for pr in ruleset.specs
        if not pr.spec.examples.flag or not pr.spec.examples.pass_
    ]
    assert missing == []


def test_the_contract_categories_are_all_shipped(ruleset: RuleSet) -> None:
    contract = {
        "signature", "unsubscribe", "absolute_claim", "refund_disclosure", "risk_disclosure",
        "contact_diversion", "fraud", "gambling", "pornography", "prohibited_goods",
        "verification_code", "link_policy", "send_window", "length",
    }  # fmt: skip
    shipped = {pr.spec.category for pr in ruleset.specs}
    assert contract <= shipped, contract - shipped


def test_every_rule_cites_a_source(ruleset: RuleSet) -> None:
    assert all(len(pr.spec.source) >= 4 for pr in ruleset.specs)
