"""PYTHONPATH=<current tree>: dev recall per category and FA with and without the filters."""
import json,re,sys,collections
sys.path.insert(0,"notebooks/anatomy13"); from filt import FILTERS
from engine import check, load_ruleset, make_message
NOT_CONTENT = {"signature","unsubscribe","length","format","send_window","template_type"}
SENDER = {"link_policy.domain_not_allowlisted"}
rs=load_ruleset(); meta={r.meta.id:r for r in rs.rules}
dev=sys.argv[1]; hold=sys.argv[2] if len(sys.argv)>2 else None
def fnd(d):
    v=check(make_message(d["text"],type=d["type"],industry=d.get("industry"),send_at="2026-12-02T10:00:00+08:00"),rs)
    out=[]
    for f in v.findings:
        if set(f.rule_ids)<=SENDER: continue
        for rid in f.rule_ids:
            r=meta.get(rid)
            if r is None or rid in SENDER or r.meta.category in NOT_CONTENT: continue
            out.append({"rule":rid,"kind":type(r).__name__,"cat":r.meta.category,"sev":r.meta.severity.value,"start":f.start,"end":f.end})
    return out
def apply(d,fs,names):
    left=[]
    nonmobile=[f for f in fs if not f["rule"].endswith("mobile_in_notice") and f["sev"]!="info"]
    for f in fs:
        drop=False
        for n in names:
            fn=FILTERS[n]
            if n.startswith("F2"): drop|=fn(d["text"],d["type"],f,nonmobile)
            else: drop|=fn(d["text"],d["type"],f)
        left.append(dict(f,sev="info") if drop else f)
    return left
configs={"before":[], **{n:[n] for n in FILTERS}, "all":list(FILTERS)}
rec=collections.defaultdict(collections.Counter); sup=collections.Counter(); fa=collections.defaultdict(collections.Counter); n=collections.Counter()
main=collections.Counter()
for lab in ("spam","clean","news"):
    for line in open(f"{dev}/{lab}.jsonl",encoding="utf-8"):
        d=json.loads(line)
        if hold and re.match(r"\w+-([a-z])",d["id"]).group(1)!=hold: continue
        fs=fnd(d); n[lab]+=1
        for c,names in configs.items():
            left=apply(d,fs,names)
            found={f["cat"] for f in left if f["sev"]!="info"}
            warned=any(f["sev"]!="info" for f in left)
            if lab=="spam":
                for cat in d["categories"]: rec[c][cat]+= cat in found
                main[c]+= d["label"] in found
            else: fa[c][lab]+=warned
        if lab=="spam":
            for cat in d["categories"]: sup[cat]+=1
print("n",dict(n))
cats=sorted(sup)
print("config".ljust(26),"main".rjust(6),*[c[:8].rjust(8) for c in cats],"cleanFA newsFA")
for c in configs:
    print(c.ljust(26),f"{main[c]/n['spam']:.4f}",*[f"{rec[c][k]/sup[k]:.4f}".rjust(8) for k in cats],fa[c]["clean"],fa[c]["news"])
