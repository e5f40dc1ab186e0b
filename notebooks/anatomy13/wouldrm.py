import json,collections,sys
sys.path.insert(0,"notebooks/anatomy13"); from filt import FILTERS
for lab in ("clean","news"):
  print("==",lab)
  res=collections.defaultdict(collections.Counter); tot=collections.Counter(); allrm=collections.Counter()
  for x in "hijkm":
    for l in open(f"fa-{x}.jsonl"):
        d=json.loads(l)
        if d["label"]!=lab: continue
        tot[x]+=1
        fs=[f for f in d["findings"] if f["sev"]!="info"]
        left=fs
        for name,fn in FILTERS.items():
            if all(fn(d["text"],d["type"],f) for f in fs): res[name][x]+=1
            left=[f for f in left if not fn(d["text"],d["type"],f)]
        if not left: allrm[x]+=1
  print("FA msgs".ljust(28),*[tot[x] for x in "hijkm"],sum(tot.values()))
  for n,c in res.items(): print(n.ljust(28),*[c[x] for x in "hijkm"],sum(c.values()))
  print("all together".ljust(28),*[allrm[x] for x in "hijkm"],sum(allrm.values()))
