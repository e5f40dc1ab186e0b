"""The closed set of rule kinds: YAML ``kind`` -> spec class."""

from __future__ import annotations

from engine.rule_types.base import CATEGORIES, RuleSpec
from engine.rule_types.contact import ContactSpec
from engine.rule_types.forbidden import ForbiddenSpec
from engine.rule_types.length import LengthSpec
from engine.rule_types.link import LinkSpec
from engine.rule_types.model import ModelSpec
from engine.rule_types.obfuscation import ObfuscationSpec
from engine.rule_types.otp_code import OtpCodeSpec
from engine.rule_types.pattern import PatternSpec
from engine.rule_types.placement import PlacementSpec
from engine.rule_types.required import ConditionalSpec, RequiredSpec
from engine.rule_types.send_window import SendWindowSpec
from engine.rule_types.signature import SignatureSpec

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
