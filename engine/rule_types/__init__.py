"""Rule kinds. Each kind has two halves:

- runtime (``engine.rule_types.<kind>``): the compiled ``Rule`` that evaluates a message. A
  check from the ruleset cache unpickles these and nothing else, so no module on this side
  imports pydantic;
- authoring (``engine.rule_types.specs.<kind>``): the pydantic ``*Spec`` that validates the
  YAML and compiles the runtime rule. ``engine.rule_types.specs.KINDS`` maps YAML ``kind`` to it.

This package file stays empty: importing any runtime module runs it first.
"""
