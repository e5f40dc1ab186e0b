"""PYTHONPATH=<tree>: dev figures with and without rules/frames.yaml, per author group.

    python notebooks/frame13/score.py bench/corpora/dev [--only m | --without m]

Recall counts a category caught at any severity (as bench/detection.py) and at warn/block (what
holds a message); a false alarm is a content finding at warn/block, as detection.py counts it.
"""
import collections, dataclasses, json, re, sys
sys.path.insert(0, ".")
from bench.detection import CONTENT, SENDER_DATA, SEND_AT, _seen  # noqa: E402
from engine import check, load_ruleset, make_message, Severity  # noqa: E402

dev = sys.argv[1]
mode, who = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else (None, None)
rs = load_ruleset()
meta = {r.meta.id: (r.meta.category, r.meta.severity) for r in rs.rules}
configs = {"before (no frames)": dataclasses.replace(rs, frames=()), "after (frames)": rs}


def content(v):
    out = []
    for f in v.findings:
        if set(f.rule_ids) <= SENDER_DATA.keys():
            continue
        for rid in f.rule_ids:
            if rid in meta and rid not in SENDER_DATA:
                cat, sev = _seen(meta[rid], f.severity if rid == f.rule_id else None, f.severity)
                if cat in CONTENT:
                    out.append((cat, sev))
    return out


for name, ruleset in configs.items():
    n = collections.Counter(); c = collections.Counter()
    sup = collections.Counter(); any_ = collections.Counter(); held = collections.Counter()
    for lab in ("spam", "clean", "news"):
        for line in open(f"{dev}/{lab}.jsonl", encoding="utf-8"):
            d = json.loads(line)
            a = re.match(r"\w+-([a-z])", d["id"]).group(1)
            if (mode == "--only" and a != who) or (mode == "--without" and a == who):
                continue
            v = check(make_message(d["text"], type=d["type"], industry=d.get("industry"), send_at=SEND_AT), ruleset)
            cs = content(v)
            found = {x for x, _ in cs}
            hard = {x for x, s in cs if s is not Severity.INFO}
            n[lab] += 1
            if lab == "spam":
                c["main"] += d["label"] in found; c["main_wb"] += d["label"] in hard
                c["every"] += set(d["categories"]) <= found; c["every_wb"] += set(d["categories"]) <= hard
                for k in d["categories"]:
                    sup[k] += 1; any_[k] += k in found; held[k] += k in hard
            else:
                c[lab] += bool(hard)
    s = n["spam"]
    print(f"{name}: spam {s}: main {c['main']/s:.4f} (warn/block {c['main_wb']/s:.4f}), every labelled {c['every']/s:.4f} (warn/block {c['every_wb']/s:.4f}); clean FA {c['clean']}/{n['clean']}, news FA {c['news']}/{n['news']}")
    print("   warn/block recall by category: " + ", ".join(f"{k} {held[k]/sup[k]:.4f}" for k in sorted(sup)))
