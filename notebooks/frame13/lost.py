"""PYTHONPATH=<tree>: dev spam/clean a filter of anatomy13/filt.py touches (what it would lose/gain)."""
import json, sys
sys.path.insert(0, "notebooks/anatomy13")
from filt import FILTERS  # noqa: E402
from engine import check, load_ruleset, make_message  # noqa: E402

NOT_CONTENT = {"signature", "unsubscribe", "length", "format", "send_window", "template_type"}
SENDER = {"link_policy.domain_not_allowlisted"}
rs = load_ruleset()
meta = {r.meta.id: r for r in rs.rules}
dev, name = sys.argv[1], sys.argv[2]
fn = FILTERS[name]
for lab in ("spam", "clean", "news"):
    for line in open(f"{dev}/{lab}.jsonl", encoding="utf-8"):
        d = json.loads(line)
        v = check(make_message(d["text"], type=d["type"], industry=d.get("industry"), send_at="2026-12-02T10:00:00+08:00"), rs)
        fs = []
        for f in v.findings:
            for rid in f.rule_ids:
                r = meta.get(rid)
                if r is None or rid in SENDER or r.meta.category in NOT_CONTENT:
                    continue
                fs.append({"rule": rid, "kind": type(r).__name__, "cat": r.meta.category, "sev": r.meta.severity.value, "start": f.start, "end": f.end})
        hit = [f for f in fs if f["sev"] != "info" and fn(d["text"], d["type"], f)]
        if not hit:
            continue
        left = {f["cat"] for f in fs if f["sev"] != "info" and f not in hit}
        lost = d.get("label") not in left if lab == "spam" else not left
        print(lab, d["id"], "LOST" if lost else "kept", [f["rule"] for f in hit], d["text"])
