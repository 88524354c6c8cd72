#!/usr/bin/env python3
# Where a study's wall time goes: per-segment stages from the journal, ITWIN_STARTUP_TRACE
# marks and each trial's metrics.jsonl (docs/hpo.md, "Where a study's time goes").
# usage: ITWIN_STARTUP_TRACE=T itwin hpo ... --study-dir S; bench/hpo_breakdown.py S T
import json, sys, collections, os
study, trace = sys.argv[1], sys.argv[2]
ev = [json.loads(l) for l in open(study + "/journal.jsonl")]
marks = collections.defaultdict(list)
for l in open(trace):
    pid, *what, t = l.split()
    marks[int(pid)].append((" ".join(what), float(t)))
t0 = ev[0]["time"]; tend = ev[-1]["time"]
segs = []
cur = {}
for e in ev:
    if e["event"] == "start": cur[e["trial"]] = {"start": e["time"], "trial": e["trial"], "kind": e["kind"]}
    if e["event"] == "running": cur[e["trial"]]["pid"] = e["pid"]
    if e["event"] == "end":
        s = cur.pop(e["trial"]); s["end"] = e["time"]; s["status"] = e["status"]; segs.append(s)
tot = collections.Counter()
for s in segs:
    m = marks[s["pid"]]
    d = {}
    for w, t in m:
        if w == "main":
            d.setdefault("front_main", t) if "front_main" not in d else d.__setitem__("worker_main", t)
        elif w not in d: d[w] = t
    d["exec"] = m[0][1] if m else 0
    mt = [json.loads(l) for l in open(f"{study}/trials/{s['trial']:04d}/metrics.jsonl")]
    ep = [x for x in mt if "epoch_time_s" in x and d.get("step train", 1e20) <= x["time"] <= s["end"]]
    # summary finished of this segment: not kept per segment; use last metrics line time
    last = max([x["time"] for x in mt if x["time"] <= s["end"]] + [d["step train"]])
    st = collections.OrderedDict()
    if "fork" in d:  # forked from the zygote
        st["fork+front load"] = d["fork"] - s["start"]
        st["front work+libtorch load"] = 0
        st["join/session"] = d["step data"] - d["fork"]
    else:
        st["fork+front load"] = d["front_main"] - s["start"]
        st["front work+libtorch load"] = d["worker_main"] - d["front_main"]
        st["join/session"] = d["step data"] - d["worker_main"]
    st["data decode"] = d["step model"] - d["step data"]
    st["model build"] = d["step train"] - d["step model"]
    first_ep_end = ep[0]["time"] if ep else last
    st["ckpt load+setup"] = first_ep_end - ep[0]["epoch_time_s"] - d["step train"] if ep else 0
    st["train epochs"] = sum(x["epoch_time_s"] for x in ep)
    st["eval+per-epoch ckpt"] = (ep[-1]["time"] - first_ep_end) - sum(x["epoch_time_s"] for x in ep[1:]) if ep else 0
    st["save+exit+reap"] = s["end"] - (ep[-1]["time"] if ep else last)
    s["st"] = st; s["total"] = s["end"] - s["start"]
    for k, v in st.items(): tot[k] += v
    tot["segments"] += 1
busy = sum(s["total"] for s in segs)
print(f"wall {tend - t0:.1f} s, {len(segs)} segments, segment-seconds {busy:.1f} (2 slots => {busy/2:.1f} s)")
for k, v in tot.items():
    if k != "segments": print(f"  {k:28s} {v:7.1f} s  {100*v/busy:5.1f} %  ({v/len(segs):.3f} s/segment)")
# controller gaps: end of a segment -> next start
starts = sorted(s["start"] for s in segs); ends = sorted(s["end"] for s in segs)
gap = 0
for e in ends:
    nxt = [t for t in starts if t >= e]
    if nxt and nxt[0] - e < 1: gap += nxt[0] - e
print(f"  controller end->next start gaps: {gap:.3f} s total")
