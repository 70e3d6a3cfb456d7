#!/usr/bin/env python3
"""What the peer methods get on the UCI sample's stories: pairwise precision, recall and F1 (the measure of
`storyhash eval`) of exact-Jaccard single-link clustering (character 4-grams and words) and TF-IDF cosine
average-link clustering, each over a range of thresholds.

    pip install numpy scipy
    python3 bench/uci_peers.py data/uci-stories-dev.jsonl
"""
import collections
import json
import math
import re
import sys

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


def pairwise(pred, gold):
    c2 = lambda n: n * (n - 1) // 2
    tp = sum(c2(n) for n in collections.Counter(zip(pred, gold)).values())
    pp = sum(c2(n) for n in collections.Counter(pred).values())
    gp = sum(c2(n) for n in collections.Counter(gold).values())
    p = tp / pp if pp else 0.0
    r = tp / gp if gp else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def binary_matrix(sets):
    vocab = {}
    rows, cols = [], []
    for i, s in enumerate(sets):
        for t in s:
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
    return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sets), len(vocab)))


def single_link_jaccard(sets, threshold):
    x = binary_matrix(sets)
    inter = (x @ x.T).tocoo()
    sizes = np.asarray(x.sum(axis=1)).ravel()
    union = sizes[inter.row] + sizes[inter.col] - inter.data
    keep = (inter.data / np.maximum(union, 1)) >= threshold
    graph = csr_matrix((np.ones(keep.sum()), (inter.row[keep], inter.col[keep])), shape=x.shape[:1] * 2)
    return connected_components(graph, directed=False)[1]


def main():
    rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
    gold = [r["story"] for r in rows]
    text = [re.sub(r"\s+", " ", r["title"].lower()).strip() for r in rows]
    char4 = [{t[i : i + 4] for i in range(max(1, len(t) - 3))} for t in text]
    words = [set(re.findall(r"\w+", t)) for t in text]
    print(f"{'method':40} {'threshold':>9} {'P':>6} {'R':>6} {'F1':>6}")
    for name, sets in [("exact Jaccard single-link, char 4-grams", char4), ("exact Jaccard single-link, words", words)]:
        for t in [0.2, 0.25, 0.3, 0.35, 0.4, 0.5]:
            p, r, f = pairwise(list(single_link_jaccard(sets, t)), gold)
            print(f"{name:40} {t:9.2f} {p:6.3f} {r:6.3f} {f:6.3f}")
    # TF-IDF over words, cosine, average link.
    df = collections.Counter(w for s in words for w in s)
    n = len(rows)
    vocab = {w: i for i, w in enumerate(df)}
    dense = np.zeros((n, len(vocab)))
    for i, t in enumerate(text):
        for w, c in collections.Counter(re.findall(r"\w+", t)).items():
            dense[i, vocab[w]] = c * (math.log((n + 1) / (df[w] + 1)) + 1)
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    tree = linkage(dense, method="average", metric="cosine")
    for t in [0.05, 0.1, 0.15, 0.2, 0.3, 0.5]:
        labels = fcluster(tree, t=1 - t, criterion="distance")
        p, r, f = pairwise(list(labels), gold)
        print(f"{'TF-IDF cosine average-link, words':40} {t:9.2f} {p:6.3f} {r:6.3f} {f:6.3f}")


if __name__ == "__main__":
    main()
