#!/usr/bin/env python3
"""How far lexical similarity gets on the STS headline pairs (positive: score >= 4).

Prints the best single-threshold F1 of several set and weighted measures over the words of the two
headlines (lower-cased, punctuation dropped, function words removed, optionally crudely stemmed) and over
character 5-grams, so that storyhash's near-duplicate figures on this file can be read against the ceiling
of the whole family of measures it belongs to.

    python3 bench/sts_ceiling.py sts-headlines.jsonl   # the SemEval STS headline pairs (README, "Measuring")
"""
import collections
import json
import math
import re
import sys

STOP = set("""a about after against all also amid an and any are as at be been before being between but by can
could did do does during for from had has have he her his how if in into is it its just may might more most
new news no not now of off on one or our out over says said say she should so than that the their them then
there these they this those to under up us via vs was we were what when where which while who why will with
would you your update updated exclusive breaking report reports live video watch photos""".split())


def norm(text):
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def words(text):
    return [w for w in norm(text).split() if len(w) > 1 and w not in STOP]


def stem(word):
    for suffix in ("ing", "edly", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def shingles(text, k=5):
    t = norm(text)
    return {t[i : i + k] for i in range(max(1, len(t) - k + 1))}


def jaccard(a, b):
    return len(a & b) / len(a | b) if a | b else 0.0


def containment(a, b):
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def dice(a, b):
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def cosine(a, b, idf):
    va = {t: n * idf(t) for t, n in collections.Counter(a).items()}
    vb = {t: n * idf(t) for t, n in collections.Counter(b).items()}
    dot = sum(v * vb.get(t, 0.0) for t, v in va.items())
    na = math.sqrt(sum(v * v for v in va.values()))
    nb = math.sqrt(sum(v * v for v in vb.values()))
    return dot / (na * nb) if na and nb else 0.0


def best_f1(scores, gold):
    best = (0.0, 0.0, 0.0, 0.0)
    for step in range(4, 40):
        t = step / 40
        tp = sum(1 for s, g in zip(scores, gold) if s >= t and g)
        fp = sum(1 for s, g in zip(scores, gold) if s >= t and not g)
        fn = sum(1 for s, g in zip(scores, gold) if s < t and g)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        if f > best[0]:
            best = (f, t, p, r)
    return best


def main():
    rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    gold = [r["score"] >= 4 for r in rows]
    pairs = [(r["sentence_a"], r["sentence_b"]) for r in rows]
    stemmed = lambda t: [stem(w) for w in words(t)]
    df = collections.Counter()
    for a, b in pairs:
        df.update(set(words(a)))
        df.update(set(words(b)))
    n = 2 * len(pairs)
    corpus_idf = lambda t: math.log((n + 1) / (df[t] + 1)) + 1
    measures = {
        "char5 Jaccard": [jaccard(shingles(a), shingles(b)) for a, b in pairs],
        "word Jaccard": [jaccard(set(words(a)), set(words(b))) for a, b in pairs],
        "stemmed word Jaccard": [jaccard(set(stemmed(a)), set(stemmed(b))) for a, b in pairs],
        "word containment": [containment(set(words(a)), set(words(b))) for a, b in pairs],
        "word Dice": [dice(set(words(a)), set(words(b))) for a, b in pairs],
        "TF-IDF cosine, IDF of the pair": [
            cosine(words(a), words(b), lambda t, a=a: math.log(2 / (2 if t in words(a) else 1)) + 1)
            for a, b in pairs
        ],
        "TF-IDF cosine, IDF of all 3,000 headlines": [cosine(words(a), words(b), corpus_idf) for a, b in pairs],
    }
    print(f"{'measure':44} {'best F1':>7} {'at':>6} {'P':>6} {'R':>6}")
    for name, scores in measures.items():
        f, t, p, r = best_f1(scores, gold)
        print(f"{name:44} {f:7.3f} {t:6.3f} {p:6.3f} {r:6.3f}")


if __name__ == "__main__":
    main()
