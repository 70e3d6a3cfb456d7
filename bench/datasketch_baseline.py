#!/usr/bin/env python3
"""The same job as `storyhash dedupe` and `bench/rensa_baseline.py`, done with datasketch (the most used
MinHash package for Python), so the three can be timed side by side in one run on the same file.

  pip install datasketch==2.0.0
  python3 bench/datasketch_baseline.py INPUT.jsonl OUTPUT.jsonl [--shingle char5|word1] [--threshold 0.5] [--perm 128] [--bands 32]

Reads JSON Lines with "id" and "title", lower-cases and shingles each title exactly as rensa_baseline.py
does, builds 128-permutation MinHash signatures (datasketch's MinHash.generator, which reuses the
permutations), inserts them into datasketch's MinHashLSH with the same bands x rows as rensa's script,
queries every item, joins the candidates whose estimated Jaccard reaches the threshold with union-find,
and writes {"id", "cluster"} per input line (cluster = id of the earliest member).
"""
import argparse, json, re, resource

WORD = re.compile(r"\w+")


def shingles(title, kind):
    t = " ".join(WORD.findall(title.lower()))
    if kind.startswith("char"):
        k = int(kind[4:])
        return [t[i:i + k] for i in range(max(1, len(t) - k + 1))]
    return t.split() or [t]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input"); ap.add_argument("output")
    ap.add_argument("--shingle", default="char5"); ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--perm", type=int, default=128); ap.add_argument("--bands", type=int, default=32)
    ap.add_argument("--max-gib", type=float, default=16, help="address-space cap, so a blow-up fails cleanly")
    a = ap.parse_args()
    cap = int(a.max_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from datasketch import MinHash, MinHashLSH
    ids, toks = [], []
    with open(a.input, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ids.append(r["id"])
            toks.append([s.encode("utf-8") for s in shingles(r["title"], a.shingle)])
    sigs = list(MinHash.generator(toks, num_perm=a.perm, seed=42))
    del toks
    lsh = MinHashLSH(threshold=a.threshold, num_perm=a.perm, params=(a.bands, a.perm // a.bands))
    with lsh.insertion_session() as session:
        for i, m in enumerate(sigs):
            session.insert(i, m, check_duplication=False)
    parent = list(range(len(ids)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            if j != i and m.jaccard(sigs[j]) >= a.threshold:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    with open(a.output, "w", encoding="utf-8") as out:
        for i, id_ in enumerate(ids):
            out.write(json.dumps({"id": id_, "cluster": ids[find(i)]}) + "\n")


if __name__ == "__main__":
    main()
