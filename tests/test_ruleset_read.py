"""Reading a rules directory (engine.ruleset.load.read_rules) without compiling it: what each
file becomes and the exact error (path:line, text) for each kind of mistake.

Fast on purpose: small directories in tmp_path, no automaton, no shipped ruleset. The tests
run inside the temporary directory, so paths in errors are relative, as an author sees them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.match import Role, WordList
from engine.ruleset.config import RulesetConfig
from engine.ruleset.errors import RuleFileError
from engine.ruleset.load import RuleFiles, parse_list_line, read_rules
from engine.ruleset.snapshot import take
from engine.spellings import WORD_TAGS

RULE = """\
  - id: {rid}
    kind: forbidden
    severity: block
    match: {{words: [违禁词]}}
    message: 含违禁词
    suggestion: 删除
"""


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    base = tmp_path / "rules"
    (base / "packs").mkdir(parents=True)
    (base / "lists").mkdir()
    return base


def _write(root: Path, rel: str, text: str) -> None:
    (root / rel).write_text(text, encoding="utf-8")


def _pack(root: Path, body: str, name: str = "demo") -> None:
    _write(root, f"packs/{name}.yaml", body)


def _errors(files: RuleFiles) -> list[str]:
    return [str(e) for e in files.errors]


def _good(root: Path) -> None:
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + RULE.format(rid="demo"))


# -- the directory ----------------------------------------------------------------------------


def test_a_missing_directory_is_one_error(tmp_path: Path) -> None:
    files = read_rules(tmp_path / "nope")
    assert files.errors == [
        RuleFileError(
            str(tmp_path / "nope"), None, None, "rules directory not found. Pass --rules DIR"
        )
    ]
    assert (files.root, files.lists, files.variants, files.rules, files.version) == (
        tmp_path / "nope", {}, {}, [], ""
    )  # fmt: skip
    assert files.config == RulesetConfig()


def test_a_directory_without_packs_says_so(root: Path) -> None:
    files = read_rules(root)
    assert _errors(files) == ["rules/packs: no rule packs (*.yaml)"]
    assert files.config == RulesetConfig() and files.variants == {} and files.spellings == {}


def test_a_good_directory_reads_clean_and_is_versioned(root: Path) -> None:
    _good(root)
    _write(root, "variants.yaml", "微信: [威信, vx]\n")
    files = read_rules(root)
    assert files.errors == [] and files.root == root
    assert files.version == take(root).version and len(files.version) == 12
    assert files.variants == {"微信": ["威信", "vx"]}
    (rule,) = files.rules
    assert (rule.full_id, rule.path, rule.line, rule.index) == (
        "demo.demo",
        "rules/packs/demo.yaml",
        4,
        0,
    )
    assert rule.spec.category == "fraud" and rule.spec.source == "测试"  # the pack's defaults
    assert rule.line_of_key("message") == 8 and rule.line_of_key("nope") == 4


def test_a_snapshot_is_read_instead_of_the_disk(root: Path) -> None:
    _good(root)
    snap = take(root)
    _pack(root, "rules: {broken: yes}\n")  # changed on disk after the snapshot
    files = read_rules(root, snap)
    assert files.errors == [] and [r.full_id for r in files.rules] == ["demo.demo"]
    assert files.version == snap.version


# -- word lists -------------------------------------------------------------------------------


def test_a_list_file_becomes_a_deny_list_of_its_words(root: Path) -> None:
    _good(root)
    text = "# 说明\n\n赌博\n  百家乐  # 注释\n代开 发票\n"
    _write(root, "lists/gamble.txt", text)
    files = read_rules(root)
    assert files.errors == []
    assert files.lists == {
        "gamble": WordList(
            "gamble", Role.DENY, ("赌博", "百家乐", "代开 发票"), "rules/lists/gamble.txt"
        )
    }
    assert files.list_lines == {"gamble": text.splitlines()}


def test_list_tags_per_word_and_per_file(root: Path) -> None:
    _good(root)
    _write(
        root,
        "lists/t.txt",
        "大礼 [boundary]\n#@ pinyin\n赌博\n#@ initials\n百家乐 [boundary,pinyin]\n",
    )
    (wl,) = read_rules(root).lists.values()
    assert wl.words == ("大礼", "赌博", "百家乐")
    every = frozenset({"pinyin", "initials"})  # a #@ line tags every word of the file
    assert wl.tags == (
        frozenset({"boundary"}) | every, every, frozenset({"boundary", "pinyin"}) | every
    )  # fmt: skip


def test_a_file_tag_line_needs_no_space(root: Path) -> None:
    _good(root)
    _write(root, "lists/t.txt", "#@pinyin\n赌博\n")
    files = read_rules(root)
    assert files.errors == []
    (wl,) = files.lists.values()
    assert wl.tags == (frozenset({"pinyin"}),)


def test_one_tagged_word_gives_every_word_a_tag_set(root: Path) -> None:
    _good(root)
    _write(root, "lists/t.txt", "赌博\n大礼 [boundary]\n百家乐 [boundary, initials]\n")
    (wl,) = read_rules(root).lists.values()
    assert wl.tags == (frozenset(), frozenset({"boundary"}), frozenset({"boundary", "initials"}))


def test_every_tag_of_a_word_is_checked(root: Path) -> None:
    _good(root)
    _write(root, "lists/t.txt", "百家乐 [pinyin, bogus]\n")
    files = read_rules(root)
    (err,) = _errors(files)
    assert err.startswith("rules/lists/t.txt:1: unknown tag 'bogus'.")
    (wl,) = files.lists.values()
    assert wl.tags == (frozenset({"pinyin"}),)


def test_bad_tags_name_the_line_and_the_known_tags(root: Path) -> None:
    _good(root)
    _write(root, "lists/t.txt", "赌博 [boundry]\n#@ pinyn\nav [initials]\n百家乐 [initials]\n")
    files = read_rules(root)
    known = ", ".join(WORD_TAGS)
    assert _errors(files) == [
        f"rules/lists/t.txt:1: unknown tag 'boundry'. Known tags: {known}. Did you mean 'boundary'?",
        f"rules/lists/t.txt:2: unknown tag 'pinyn'. Known tags: {known}. Did you mean 'pinyin'?",
        "rules/lists/t.txt:3: tag 'initials' on 'av': initials of fewer than 3 characters are "
        "ordinary Latin text (false alarms). Remove the tag",
    ]
    (wl,) = files.lists.values()
    assert wl.tags == (frozenset(), frozenset(), frozenset({"initials"}))  # bad tags dropped


def test_a_list_that_is_not_utf8_is_skipped_with_an_error(root: Path) -> None:
    _good(root)
    (root / "lists" / "bad.txt").write_bytes(b"\xff\xfe\n")
    _write(root, "lists/ok.txt", "赌博\n")
    files = read_rules(root)
    assert _errors(files) == [
        "rules/lists/bad.txt: not UTF-8 text (invalid start byte). Save the file as UTF-8"
    ]
    assert list(files.lists) == ["ok"] and list(files.list_lines) == ["ok"]


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("大礼 [boundary]", ("大礼", ["boundary"])),
        ("百家乐 [boundary, pinyin]", ("百家乐", ["boundary", "pinyin"])),
        ("百家乐 [boundary,pinyin] # 说明", ("百家乐", ["boundary", "pinyin"])),
        ("  赌博  ", ("赌博", [])),
        ("# 整行注释", ("", [])),
        ("[boundary]", ("[boundary]", [])),  # no word before the tags: a word of its own
        ("赌[博]", ("赌[博]", [])),
        ("代开 发票 [pinyin]", ("代开 发票", ["pinyin"])),
        ("代开 [发票] [boundary]", ("代开 [发票]", ["boundary"])),  # the last bracket: tags
        ("赌博 # 注释 # 再注释", ("赌博", [])),  # everything after the first # is a comment
    ],
)
def test_parse_list_line(line: str, parsed: tuple[str, list[str]]) -> None:
    assert parse_list_line(line) == parsed


# -- ruleset.yaml, variants.yaml, evasions.yaml -----------------------------------------------------


def test_ruleset_yaml_is_read(root: Path) -> None:
    _good(root)
    _write(root, "ruleset.yaml", "industries: [retail, travel]\n")
    files = read_rules(root)
    assert files.errors == [] and files.config.industries == ["retail", "travel"]


def test_ruleset_yaml_errors_keep_the_defaults(root: Path) -> None:
    _good(root)
    _write(root, "ruleset.yaml", "industries: [retail]\nprofile:\n  x: {}\n")
    files = read_rules(root)
    (err,) = _errors(files)
    assert err.startswith("rules/ruleset.yaml:2: unknown field 'profile'. Known fields: ")
    assert err.endswith("industries, name, profiles. Did you mean 'profiles'?")
    assert files.config == RulesetConfig()
    _write(root, "ruleset.yaml", "industries: [retail\n")
    files = read_rules(root)
    assert _errors(files) == [
        "rules/ruleset.yaml:2: YAML syntax error: expected ',' or ']', but got '<stream end>'. "
        "Check indentation and quotes"
    ]
    assert files.config == RulesetConfig()
    (root / "ruleset.yaml").write_bytes(b"name: \xff\n")
    assert read_rules(root).config == RulesetConfig()


def test_an_empty_ruleset_yaml_is_the_defaults(root: Path) -> None:
    _good(root)
    _write(root, "ruleset.yaml", "# nothing yet\n")
    files = read_rules(root)
    assert files.errors == [] and files.config == RulesetConfig()


def test_profile_errors_point_at_the_value(root: Path) -> None:
    _good(root)
    _write(root, "ruleset.yaml", "profiles:\n  late:\n    send_window: ['22:00', '08:00']\n")
    assert _errors(read_rules(root)) == [
        "rules/ruleset.yaml:3: field 'profiles.late.send_window': send_window ['22:00', '08:00'] "
        "must start before it ends"
    ]


def test_unknown_field_of_a_profile_names_the_profile_fields(root: Path) -> None:
    # profiles map a name to a profile: the name is not a field, the hint skips over it
    _good(root)
    _write(root, "ruleset.yaml", "profiles:\n  late:\n    sendwindow: ['08:00', '20:00']\n")
    assert _errors(read_rules(root)) == [
        "rules/ruleset.yaml:3: unknown field 'profiles.late.sendwindow'. Known fields: "
        "description, opt_out, send_window. Did you mean 'send_window'?"
    ]


@pytest.mark.parametrize("text", ["- 微信\n", "微信: 威信\n", "微信: [威信, 5]\n", "5: [a]\n"])
def test_variants_must_map_words_to_lists(root: Path, text: str) -> None:
    _good(root)
    _write(root, "variants.yaml", "\n" + text)
    files = read_rules(root)
    assert _errors(files) == [
        "rules/variants.yaml:2: must map each word to a list of its variant spellings, "
        "e.g. 微信: [威信, vx]"
    ]
    assert files.variants == {}


def test_empty_or_broken_variants_give_no_variants(root: Path) -> None:
    _good(root)
    _write(root, "variants.yaml", "")
    files = read_rules(root)
    assert files.errors == [] and files.variants == {}
    _write(root, "variants.yaml", "微信: [威信\n")
    files = read_rules(root)
    assert files.variants == {} and len(files.errors) == 1
    assert _errors(files)[0].startswith("rules/variants.yaml:2: YAML syntax error: ")


def test_evasion_sections_are_read(root: Path) -> None:
    _good(root)
    _write(root, "evasions.yaml", "homophone:\n  发票: [发漂]\nsplit_radical: {}\n")
    files = read_rules(root)
    assert files.errors == []
    assert files.spellings == {"homophone": {"发票": ["发漂"]}, "split_radical": {}}


def test_evasion_errors_name_the_section_and_line(root: Path) -> None:
    _good(root)
    _write(
        root,
        "evasions.yaml",
        "homophone:\n  发票: [发漂]\nhomophones:\n  a: [b]\nhomoglyph:\n  a: b\nsplit_radical:\n  - a\n",
    )
    files = read_rules(root)
    assert _errors(files) == [
        "rules/evasions.yaml:3: unknown section 'homophones'. Known sections: homophone, "
        "homoglyph, split_radical. Did you mean 'homophone'?",
        "rules/evasions.yaml:6: 'homoglyph' must map each word to a list of its spellings, "
        "e.g. 发票: [发漂]",
        "rules/evasions.yaml:8: 'split_radical' must map each word to a list of its spellings, "
        "e.g. 发票: [发漂]",
    ]
    assert files.spellings == {"homophone": {"发票": ["发漂"]}}  # the good section is kept


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("", []),
        ("- 发票\n", ["rules/evasions.yaml:1: unknown section 'None'. Known sections: homophone, "
                      "homoglyph, split_radical."]),
        ("homophone:\n  发票: [发漂, 3]\n", ["rules/evasions.yaml:2: 'homophone' must map each "
                                            "word to a list of its spellings, e.g. 发票: [发漂]"]),
        ("homophone:\n  3: [发漂]\n", ["rules/evasions.yaml:2: 'homophone' must map each "
                                       "word to a list of its spellings, e.g. 发票: [发漂]"]),
    ],
)  # fmt: skip
def test_evasions_that_are_not_a_mapping(root: Path, text: str, errors: list[str]) -> None:
    _good(root)
    _write(root, "evasions.yaml", text)
    files = read_rules(root)
    assert _errors(files) == errors and files.spellings == {}


def test_broken_evasions_yaml_gives_no_spellings(root: Path) -> None:
    _good(root)
    _write(root, "evasions.yaml", "homophone: [\n")
    files = read_rules(root)
    assert files.spellings == {} and len(files.errors) == 1


# -- packs ---------------------------------------------------------------------------------


def test_packs_are_read_in_name_order_with_their_lines(root: Path) -> None:
    _pack(
        root,
        "category: fraud\nsource: 测试\nrules:\n" + RULE.format(rid="one") + RULE.format(rid="two"),
        "b",
    )
    _pack(
        root,
        "rules:\n"
        + RULE.format(rid="x").replace(
            "suggestion", "category: gambling\n    source: 法\n    suggestion"
        ),
        "a",
    )
    files = read_rules(root)
    assert files.errors == []
    got = [(r.full_id, r.path, r.line, r.index, r.spec.category) for r in files.rules]
    assert got == [
        ("a.x", "rules/packs/a.yaml", 2, 0, "gambling"),
        ("b.one", "rules/packs/b.yaml", 4, 0, "fraud"),
        ("b.two", "rules/packs/b.yaml", 10, 1, "fraud"),
    ]


def test_a_rule_overrides_its_packs_defaults(root: Path) -> None:
    rule = RULE.format(rid="x").replace("suggestion", "category: gambling\n    suggestion")
    _pack(root, "category: fraud\nsource: 测试\ndescription: 说明\nrules:\n" + rule)
    files = read_rules(root)
    (r,) = files.rules
    assert r.spec.category == "gambling" and r.spec.source == "测试"
    assert files.errors == []  # description is a pack key


@pytest.mark.parametrize(
    ("pack", "expected"),
    [
        ("rules: {a: 1}\n", ":1: a rule pack is a mapping with a 'rules:' list"),
        ("- a\n- b\n", ":1: a rule pack is a mapping with a 'rules:' list"),
        ("category: fraud\n", ":1: a rule pack is a mapping with a 'rules:' list"),
        ("rules:\n  - 5\n", ":2: each rule is a mapping with id, kind, ..."),
    ],
)
def test_pack_shape_errors(root: Path, pack: str, expected: str) -> None:
    _pack(root, pack)
    files = read_rules(root)
    assert _errors(files) == [f"rules/packs/demo.yaml{expected}"] and files.rules == []


def test_a_rule_that_is_not_a_mapping_does_not_hide_the_next(root: Path) -> None:
    _pack(root, "category: fraud\nsource: 测试\nrules:\n  - 5\n" + RULE.format(rid="a"))
    files = read_rules(root)
    assert _errors(files) == ["rules/packs/demo.yaml:4: each rule is a mapping with id, kind, ..."]
    assert [r.full_id for r in files.rules] == ["demo.a"]


def test_unknown_top_level_keys_each_have_their_line(root: Path) -> None:
    _pack(root, "zeta: 1\ncategory: fraud\nsource: 测试\nalpha: 2\nrules:\n" + RULE.format(rid="a"))
    files = read_rules(root)
    known = "Known keys: category, description, rules, source"
    assert _errors(files) == [
        f"rules/packs/demo.yaml:4: unknown top-level key 'alpha'. {known}",
        f"rules/packs/demo.yaml:1: unknown top-level key 'zeta'. {known}",
    ]
    assert [r.full_id for r in files.rules] == ["demo.a"]  # the rules are still read


def test_duplicate_ids_keep_the_first_and_duplicate_keys_are_named(root: Path) -> None:
    twice = RULE.format(rid="b").replace("severity: block", "severity: block\n    severity: warn")
    _pack(
        root,
        "category: fraud\nsource: 测试\nrules:\n"
        + RULE.format(rid="a")
        + RULE.format(rid="a")
        + twice,
    )
    files = read_rules(root)
    assert _errors(files) == [
        "rules/packs/demo.yaml:10: rule 'demo.a': duplicate rule id (first at line 4). "
        "Give each rule its own id",
        "rules/packs/demo.yaml:19: rule 'demo.b': key 'severity' appears twice. Keep one",
    ]
    assert [(r.full_id, r.line) for r in files.rules] == [("demo.a", 4), ("demo.b", 16)]


def test_a_rule_without_an_id_is_named_by_its_position(root: Path) -> None:
    rule = RULE.format(rid="a").replace("  - id: a\n    kind", "  - kind")
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + RULE.format(rid="a") + rule)
    files = read_rules(root)
    (err,) = _errors(files)
    assert err.startswith("rules/packs/demo.yaml:10: rule 'demo.#2': missing field 'id'. Add it")


def test_a_missing_kind_points_at_its_rule(root: Path) -> None:
    missing = RULE.format(rid="b").replace("    kind: forbidden\n", "")
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + RULE.format(rid="a") + missing)
    (err,) = _errors(read_rules(root))
    assert err.startswith("rules/packs/demo.yaml:10: rule 'demo.b': missing 'kind'. ")


def test_a_missing_field_deep_in_a_rule_points_at_its_parent(root: Path) -> None:
    rule = RULE.format(rid="a") + (
        "    examples:\n      flag:\n        - 违禁词\n        - span: 违禁词\n"
    )
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + rule)
    assert _errors(read_rules(root)) == [
        "rules/packs/demo.yaml:13: rule 'demo.a': missing field 'examples.flag.1.text'. Add it",
        "rules/packs/demo.yaml:13: rule 'demo.a': field 'examples.flag.1': Input should be a "
        "valid string",
    ]


def test_kind_errors(root: Path) -> None:
    missing = RULE.format(rid="b").replace("    kind: forbidden\n", "")
    wrong = RULE.format(rid="c").replace("kind: forbidden", "kind: forbiden")
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + missing + "\n" + wrong)
    files = read_rules(root)
    errs = _errors(files)
    assert errs[0].startswith(
        "rules/packs/demo.yaml:4: rule 'demo.b': missing 'kind'. Known kinds: "
    )
    assert errs[1].startswith(
        "rules/packs/demo.yaml:11: rule 'demo.c': unknown kind 'forbiden'. Known kinds: "
    )
    assert errs[0].endswith(".") and errs[1].endswith(". Did you mean 'forbidden'?")
    assert "contact, " in errs[0] and errs[0].index("contact") < errs[0].index("forbidden")
    assert len(errs) == 2 and files.rules == []


def test_field_errors_name_the_field_and_its_line(root: Path) -> None:
    bad = (
        "  - id: a\n    kind: forbidden\n    severity: fatal\n    match: {words: [x], wordz: [y]}\n"
        "    message: m\n    suggestion: s\n"
    )
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + bad)
    errs = _errors(read_rules(root))
    assert errs[0] == (
        "rules/packs/demo.yaml:6: rule 'demo.a': field 'severity': Input should be 'block', "
        "'warn' or 'info'"
    )
    assert errs[1].startswith(
        "rules/packs/demo.yaml:7: rule 'demo.a': unknown field 'match.wordz'. Known fields: "
    )
    assert "lists, " in errs[1] and errs[1].endswith(", words. Did you mean 'words'?")
    assert len(errs) == 2


def test_unknown_field_at_the_top_of_a_rule(root: Path) -> None:
    _pack(
        root,
        "category: fraud\nsource: 测试\nrules:\n" + RULE.format(rid="a") + "    sevrity: warn\n",
    )
    (err,) = _errors(read_rules(root))
    assert err.startswith(
        "rules/packs/demo.yaml:10: rule 'demo.a': unknown field 'sevrity'. Known fields: "
    )
    assert "category, " in err and err.endswith(". Did you mean 'severity'?")


def test_missing_field_points_at_its_parent(root: Path) -> None:
    rule = RULE.format(rid="a").replace("    suggestion: 删除\n", "")
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + rule)
    assert _errors(read_rules(root)) == [
        "rules/packs/demo.yaml:4: rule 'demo.a': missing field 'suggestion'. Add it"
    ]


def test_a_whole_rule_check_has_no_field_name(root: Path) -> None:
    rule = RULE.format(rid="a").replace("{words: [违禁词]}", "{words: []}")
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + rule)
    assert _errors(read_rules(root)) == [
        "rules/packs/demo.yaml:4: rule 'demo.a': match needs at least one of words, lists or "
        "patterns"
    ]


def test_unknown_field_deep_in_an_optional_matcher(root: Path) -> None:
    rule = RULE.format(rid="a") + "    unless: {words: [x], allwo: [y]}\n"
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + rule)
    (err,) = _errors(read_rules(root))
    assert err.startswith(
        "rules/packs/demo.yaml:10: rule 'demo.a': unknown field 'unless.allwo'. Known fields: allow, "
    )
    assert err.endswith(". Did you mean 'allow'?")


def test_unknown_field_in_an_example_names_the_example_fields(root: Path) -> None:
    # an example is `Example | str`: pydantic's loc names the union member (...0.Example.spam),
    # which the error leaves out so the path is the one the author wrote
    rule = RULE.format(rid="a") + "    examples: {flag: [{text: x, spam: 1}]}\n"
    _pack(root, "category: fraud\nsource: 测试\nrules:\n" + rule)
    assert _errors(read_rules(root)) == [
        "rules/packs/demo.yaml:10: rule 'demo.a': unknown field 'examples.flag.0.spam'. Known "
        "fields: industry, profile, send_at, span, text, type, verdict. Did you mean 'span'?",
        "rules/packs/demo.yaml:10: rule 'demo.a': field 'examples.flag.0': Input should be a "
        "valid string",
    ]


def test_yaml_that_cannot_be_read(root: Path) -> None:
    _pack(root, "rules: [\x07]\n")
    (err,) = _errors(read_rules(root))
    assert err.startswith("rules/packs/demo.yaml: YAML error: unacceptable character #x0007")
    _pack(root, "category: fraud\nrules:\n  - id: x\n   kind: [\n")
    assert _errors(read_rules(root)) == [
        "rules/packs/demo.yaml:4: YAML syntax error: expected <block end>, but found "
        "'<block mapping start>'. Check indentation and quotes"
    ]
