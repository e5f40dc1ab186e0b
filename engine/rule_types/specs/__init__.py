"""The closed set of rule kinds: YAML ``kind`` -> spec class (the pydantic half of each kind)."""

from __future__ import annotations

from engine.rule_types.base import CATEGORIES
from engine.rule_types.specs.base import RuleSpec
from engine.rule_types.specs.contact import ContactSpec
from engine.rule_types.specs.forbidden import ForbiddenSpec
from engine.rule_types.specs.length import LengthSpec
from engine.rule_types.specs.link import LinkSpec
from engine.rule_types.specs.model import ModelSpec
from engine.rule_types.specs.obfuscation import ObfuscationSpec
from engine.rule_types.specs.otp_code import OtpCodeSpec
from engine.rule_types.specs.pattern import PatternSpec
from engine.rule_types.specs.placement import PlacementSpec
from engine.rule_types.specs.required import ConditionalSpec, RequiredSpec
from engine.rule_types.specs.send_window import SendWindowSpec
from engine.rule_types.specs.signature import SignatureSpec

KINDS: dict[str, type[RuleSpec]] = {
    spec.KIND: spec
    for spec in (
        ForbiddenSpec,
        RequiredSpec,
        ConditionalSpec,
        PatternSpec,
        PlacementSpec,
        SignatureSpec,
        LinkSpec,
        SendWindowSpec,
        OtpCodeSpec,
        LengthSpec,
        ObfuscationSpec,
        ContactSpec,
        ModelSpec,
    )
}

__all__ = ["CATEGORIES", "KINDS", "RuleSpec"]
