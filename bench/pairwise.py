#!/usr/bin/env python3
"""Pairwise precision, recall and F1 and the adjusted Rand index of a clustering against gold labels.

  python3 bench/pairwise.py GOLD.jsonl PRED.jsonl [--gold-field story] [--pred-field cluster]

GOLD holds one JSON object per line with "id" and the gold label field; PRED holds one per line with "id"
and the predicted cluster field (storyhash's verdict lines or rensa_baseline.py's output). A pair of items
is positive when both share a label; precision is the share of predicted same-cluster pairs that are
gold pairs, recall the share of gold pairs that are predicted (Miranda et al., 2018). Stdlib only.
"""
import argparse, collections, json, sys


def pairs(n):
    return n * (n - 1) // 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gold")
    ap.add_argument("pred")
    ap.add_argument("--gold-field", default="story")
    ap.add_argument("--pred-field", default="cluster")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    gold = {}
    with open(a.gold, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if line.strip():
                r = json.loads(line)
                gold[str(r.get("id", i))] = r[a.gold_field]
    pred = {}
    with open(a.pred, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                pred[str(r["id"])] = r[a.pred_field]
    ids = [i for i in gold if i in pred]
    missing = len(gold) - len(ids)
    joint = collections.Counter((pred[i], gold[i]) for i in ids)
    by_pred = collections.Counter(pred[i] for i in ids)
    by_gold = collections.Counter(gold[i] for i in ids)
    tp = sum(pairs(n) for n in joint.values())
    pp = sum(pairs(n) for n in by_pred.values())
    gp = sum(pairs(n) for n in by_gold.values())
    total = pairs(len(ids))
    precision = tp / pp if pp else 1.0
    recall = tp / gp if gp else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    expected = pp * gp / total if total else 0.0
    max_index = (pp + gp) / 2
    ari = (tp - expected) / (max_index - expected) if max_index != expected else 1.0
    out = {"items": len(ids), "missing": missing, "predicted_clusters": len(by_pred),
           "gold_clusters": len(by_gold), "precision": round(precision, 4), "recall": round(recall, 4),
           "f1": round(f1, 4), "ari": round(ari, 4)}
    if a.json:
        print(json.dumps(out))
    else:
        print(" ".join(f"{k}={v}" for k, v in out.items()))


if __name__ == "__main__":
    sys.exit(main())
