"""The detection corpora parse, use known labels and categories, have unique ids, and the
frozen split is byte-for-byte the one whose hashes bench/corpora/README.md records.

Failures name a file, a line or an id, never a message text: the frozen split is held out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bench.corpus as corpus_module
from bench import detection
from bench.corpus import (
    HERE,
    LABELS,
    MESSAGE_CORPORA,
    SPLITS,
    CorpusError,
    Sample,
    files,
    load,
    load_peers,
    path,
    sha256,
)
from engine.rule_types.base import CATEGORIES

README = (HERE / "README.md").read_text(encoding="utf-8")


def _readme_hashes() -> dict[str, str]:
    return dict(
        re.findall(r"^\| ((?:dev|frozen)/\w+\.jsonl) \|.*`([0-9a-f]{64})` \|$", README, re.M)
    )


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("corpus", MESSAGE_CORPORA)
def test_message_corpus_parses_with_known_labels(split: str, corpus: str) -> None:
    samples = load(split, corpus)  # raises CorpusError naming file:line on a bad line
    assert len(samples) >= 100
    assert {s.label for s in samples} <= set(LABELS)
    assert all(s.categories <= set(CATEGORIES) for s in samples)
    if corpus == "spam":
        assert all(s.label in s.categories for s in samples)
    else:
        assert {s.label for s in samples} == {"clean" if corpus == "clean" else "news"}
        assert not any(s.categories for s in samples)


@pytest.mark.parametrize("split", SPLITS)
def test_peer_cases_parse(split: str) -> None:
    cases = load_peers(split)
    assert cases
    assert all(set(c.expect) <= set(c.words) for c in cases), "expected hits must be listed words"


def test_ids_are_unique_across_every_file() -> None:
    ids: list[str] = []
    for split in SPLITS:
        for corpus in MESSAGE_CORPORA:
            ids += [s.id for s in load(split, corpus)]
        ids += [c.id for c in load_peers(split)]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate ids: {dupes[:10]}"


def test_no_text_is_in_both_splits() -> None:
    texts = [{s.text for c in MESSAGE_CORPORA for s in load(split, c)} for split in SPLITS]
    shared = len(texts[0] & texts[1])  # a count: the texts themselves must not be printed
    assert shared == 0, f"{shared} messages appear in both dev and frozen"


def test_frozen_files_match_the_hashes_in_the_readme() -> None:
    recorded = _readme_hashes()
    frozen = [p for p in files() if p.parent.name == "frozen"]
    assert frozen
    for p in frozen:
        key = f"frozen/{p.name}"
        assert key in recorded, f"{key} has no SHA-256 row in bench/corpora/README.md"
        assert sha256(p) == recorded[key], (
            f"{key} changed since it was frozen: the held-out split must not be edited "
            "(if the corpus author rebuilt it on purpose, update the README's hash table)"
        )


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (
            '{"id": "x", "text": "t", "type": "sms", "label": "clean", "categories": [], "note": "n"}',
            r"^clean\.jsonl:1: unknown type 'sms'\. Use one of verification, notification, marketing$",
        ),
        (
            '{"id": "x", "text": "t", "type": "marketing", "label": "spam", "categories": [], "note": "n"}',
            r"^clean\.jsonl:1: unknown label 'spam'\. Use clean, news or a category$",
        ),
        (
            '{"id": "x", "text": "t", "type": "marketing", "label": "fraud", "categories": ["fraud", "scam"], "note": "n"}',
            r"^clean\.jsonl:1: unknown categories \['scam'\]\.",
        ),
        (
            '{"id": "x", "type": "marketing", "label": "clean", "categories": [], "note": "n"}',
            r"^clean\.jsonl:1: field 'text' must be a non-empty string$",
        ),
        (
            '{"id": "x", "text": "t", "type": "notification", "industry": "utility", "label": "clean", "categories": [], "note": "n"}',
            r"^clean\.jsonl:1: unknown industry 'utility'\. Use one of rules/ruleset\.yaml's industries: retail, ",
        ),
        ("{not json", r"^clean\.jsonl:1: not JSON"),
    ],
)
def test_a_bad_line_names_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, error: str
) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "clean.jsonl").write_text(line + "\n", encoding="utf-8")
    monkeypatch.setattr(corpus_module, "HERE", tmp_path)
    assert path("dev", "clean") == tmp_path / "dev" / "clean.jsonl"
    with pytest.raises(CorpusError, match=error):
        load("dev", "clean")


def test_every_peer_case_loads_as_its_own_rule_pack() -> None:
    for split in SPLITS:
        cases = load_peers(split)
        passed, failures = detection.run_peers(cases)
        assert passed + len(failures) == len(cases)
        assert all(line.strip().startswith("peers-") for line in failures)  # ids only, no text


def test_detection_bench_prints_the_table_for_dev(capsys: pytest.CaptureFixture[str]) -> None:
    assert detection.main(["--split", "dev"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Detection on the dev split: ")
    assert "contact_diversion" in out and "precision" in out
    assert re.search(r"^peer cases: \d+/\d+ pass$", out, re.M)
    assert re.search(
        r"^clean \(\d+\): false alarm \(content finding of severity warn/block\) \d+ = ", out, re.M
    )
    assert re.search(r"^not scored: link_policy\.domain_not_allowlisted \(", out, re.M)
    assert re.search(r"^timing: \d+ messages in ", out, re.M)


def test_detection_bench_will_not_show_frozen_messages(capsys: pytest.CaptureFixture[str]) -> None:
    assert detection.main(["--split", "frozen", "--misses"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "--misses works on --split dev only: the frozen split is held out\n"


def _sample(text: str, label: str, cats: frozenset[str] = frozenset()) -> Sample:
    return Sample("t", text, "marketing", None, label, cats, "test", ())


def test_a_false_alarm_is_a_warn_or_block_content_finding_and_sender_data_is_apart() -> None:
    results, _ = detection.run(
        [
            # a link to a domain the sender never filed: the sender's data, not a false alarm
            _sample(
                "【京东】您的订单已发货，详情 https://item.jd.com/100.html 。拒收请回复R", "clean"
            ),
            # an absolute claim in a fine-looking promo: a false alarm of severity block
            _sample("【信使商城】全场最低价，回T退订", "clean"),
            _sample(
                "【信使商城】兼职刷单日赚300元，详询微信abc12345，回T退订",
                "fraud",
                frozenset({"fraud", "contact_diversion"}),
            ),
        ],
        None,
    )
    link, claim, scam = results
    assert link.sender_data and not link.warned and "link_policy" not in link.found
    assert claim.warned and claim.content_block and claim.found == {"absolute_claim"}
    assert not claim.sender_data
    assert {"fraud", "contact_diversion"} <= scam.found
    lines = detection.summary(results)
    assert "clean (2): false alarm (content finding of severity warn/block) 1 = 0.500" in lines[1]
    assert lines[-1].startswith("not scored: link_policy.domain_not_allowlisted")
    assert lines[-1].endswith("fired on clean 1, news 0, spam 0")
