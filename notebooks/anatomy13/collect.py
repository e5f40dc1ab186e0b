"""Run with PYTHONPATH=<tree>: score one author's clean+news dev messages with that tree's
engine and rules; print one JSON line per false-alarm message (with all content findings)."""
import json, re, sys
from engine import check, load_ruleset, make_message, Severity
from engine.rule_types.base import CATEGORIES
NOT_CONTENT = {"signature","unsubscribe","length","format","send_window","template_type"}
SENDER = {"link_policy.domain_not_allowlisted"}
SEND_AT = "2026-12-02T10:00:00+08:00"
author, dev = sys.argv[1], sys.argv[2]
rs = load_ruleset()
meta = {r.meta.id: r for r in rs.rules}
n = {"clean": 0, "news": 0}
for label in ("clean", "news"):
    for line in open(f"{dev}/{label}.jsonl", encoding="utf-8"):
        d = json.loads(line)
        if re.match(r"\w+-([a-z])", d["id"]).group(1) != author:
            continue
        n[label] += 1
        msg = make_message(d["text"], type=d["type"], industry=d.get("industry"), send_at=SEND_AT, id=d["id"])
        v = check(msg, rs)
        fs = []
        for f in v.findings:
            if set(f.rule_ids) <= SENDER:
                continue
            for rid in f.rule_ids:
                r = meta.get(rid)
                if r is None or rid in SENDER or r.meta.category in NOT_CONTENT:
                    continue
                fs.append({"rule": rid, "kind": type(r).__name__, "cat": r.meta.category,
                           "sev": str(r.meta.severity.value), "start": f.start, "end": f.end,
                           "matched": d["text"][f.start:f.end], "kept": rid == f.rule_id,
                           "evasion": f.evasion})
        if any(x["sev"] != "info" for x in fs):
            print(json.dumps({"id": d["id"], "label": label, "type": d["type"], "industry": d.get("industry"),
                              "note": d.get("note"), "text": d["text"], "verdict": v.verdict.value,
                              "findings": fs}, ensure_ascii=False))
print(json.dumps({"totals": n}), file=sys.stderr)
