import json,re,collections
FRAME=re.compile(r"不会|从不|从未|不得|均为|都是|诈骗|谨防|请勿|勿信|陷阱|违法|举报|远离|不承诺|冒充|警惕|提醒")
def mech(f):
    if f["kind"]=="ModelRule": return "content model"
    if f["kind"]=="ContactRule": return "contact scan (mobile in notice)"
    if f["rule"].startswith("verification_code"): return "verification keyword"
    if f["kind"]=="Required": return "disclosure required (price/refund)"
    if f["rule"].startswith(("price_disclosure","refund_disclosure")): return "disclosure word (抽奖/不退)"
    if f["sev"]=="warn" and f["kind"]=="Forbidden": return "caution words (warn)"
    return "word list / pattern (block)"
rows=collections.defaultdict(collections.Counter); tot=collections.Counter(); types=collections.defaultdict(collections.Counter)
frame=collections.Counter()
for x in "hijkm":
    for l in open(f"fa-{x}.jsonl"):
        d=json.loads(l)
        if d["label"]!="clean": continue
        fs=[f for f in d["findings"] if f["sev"]!="info"]
        ms={mech(f) for f in fs}
        # one mechanism per message: the one that would remain
        for m in ms: rows[m][x]+=1
        tot[x]+=1; types[d["type"]][x]+=1
        if d["type"]=="notification" and FRAME.search(d["text"]) and not any(f["kind"]=="ContactRule" for f in fs): frame[x]+=1
print("mechanism".ljust(38),*"hijkm")
for m,c in sorted(rows.items(),key=lambda kv:-sum(kv[1].values())): print(m.ljust(38),*[c[x] for x in "hijkm"], sum(c.values()))
print("messages".ljust(38),*[tot[x] for x in "hijkm"],sum(tot.values()))
for t,c in types.items(): print(("type "+t).ljust(38),*[c[x] for x in "hijkm"],sum(c.values()))
print("notification with warning frame".ljust(38),*[frame[x] for x in "hijkm"],sum(frame.values()))
