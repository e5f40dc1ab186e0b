"""PYTHONPATH=<tree>: the frames of rules/frames.yaml over the 102 fresh-author clean false alarms
that notebooks/anatomy13/collect.py collected with each author's landing commit (fa-<x>.jsonl,
dev texts): how many would have been allowed, per author and per frame.

    python notebooks/frame13/old_fa.py DIR_WITH_fa-x.jsonl
"""
import collections, json, sys
from engine import check, load_ruleset, make_message
from engine.normalize import normalize
from engine.rule_types.context import Context
from engine.rule_types.frame import apply_frames
from engine.verdict import Finding, Severity

rs = load_ruleset()
by_author = collections.Counter(); by_frame = collections.Counter(); total = collections.Counter()
for a in "hijkm":
    for line in open(f"{sys.argv[1]}/fa-{a}.jsonl", encoding="utf-8"):
        d = json.loads(line)
        if d.get("label") != "clean":
            continue
        total[a] += 1
        msg = make_message(d["text"], type=d["type"], industry=d.get("industry"))
        norm = normalize(msg.text); hits = rs.lexicon.scan(norm)
        ctx = Context(msg, norm, hits, rs.profile(msg.profile), rs.global_allow)
        old = [Finding(f["rule"], f["cat"], Severity(f["sev"]), f["start"], f["end"], d["text"][f["start"]:f["end"]], "", "", "") for f in d["findings"]]
        # channels today's contact and link rules see count too (the old findings dropped links)
        now = [f for f in check(msg, rs).findings if f.category in ("contact_diversion", "link_policy") and f.rule_id not in {x.rule_id for x in old}]
        out = apply_frames(ctx, old + now, rs.frames)
        if not any(f.severity is not Severity.INFO for f in out[: len(old)]):
            by_author[a] += 1
            for fr in {f.frame for f in out if f.frame}:
                by_frame[fr] += 1
print("allowed by frames, per author:", {a: f"{by_author[a]}/{total[a]}" for a in "hijkm"}, "all", sum(by_author.values()), "/", sum(total.values()))
print("per frame (a message can count under two):", dict(by_frame))
