#!/usr/bin/env python3
"""Scores the stories of a `storyhash dedupe` run over gnews-86k.jsonl against hand-labelled headline pairs.

bench/gnews-event-pairs.jsonl holds 440 pairs of gnews-86k.jsonl ids (headlines at most three days apart
that share a content word, sampled across four bands of TF-IDF cosine), each labelled `same` (one news
event, or a direct development of it within days), `different` (same topic, person or place but another
event, or unrelated) or `unsure`. Two readers labelled half each, and 40 pairs both: they agreed on 36;
the 4 they did not agree on are `unsure`. The 7 pairs labelled `unsure` in all are left out of the scores. Only ids and labels are stored: build gnews-86k.jsonl with bench/make_corpora.py.

    storyhash dedupe gnews-86k.jsonl -o verdicts.jsonl -q
    python3 bench/event_pairs.py verdicts.jsonl

prints precision (of the labelled pairs put in one story, the share labelled `same`), recall (of the
`same` pairs, the share put in one story), F1, and the share of `different` pairs put in one story.
"""
import json
import os
import sys


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    verdicts = sys.argv[1]
    pairs = sys.argv[2] if len(sys.argv) == 3 else os.path.join(os.path.dirname(__file__), "gnews-event-pairs.jsonl")
    story = {}
    try:
        with open(verdicts, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                try:
                    v = json.loads(line)
                    story[str(v["id"])] = v["story"]
                except (ValueError, KeyError, TypeError) as e:
                    sys.exit(f"{verdicts}:{n}: not a verdict line of `storyhash dedupe` ({e})")
    except OSError as e:
        sys.exit(f"cannot read {verdicts}: {e}")
    tp = fp = fn = tn = 0
    with open(pairs, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            p = json.loads(line)
            if p["label"] == "unsure":
                continue
            try:
                together = story[p["a"]] == story[p["b"]]
            except KeyError as e:
                sys.exit(f"{pairs}:{n}: id {e} is not in {verdicts} (was it a run over gnews-86k.jsonl?)")
            if p["label"] == "same":
                tp += together
                fn += not together
            else:
                fp += together
                tn += not together
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"pairs {tp + fp + fn + tn} (same {tp + fn}, different {fp + tn})  precision {precision:.3f}  "
          f"recall {recall:.3f}  F1 {f1:.3f}  different pairs together {fp / (fp + tn):.3f}")


if __name__ == "__main__":
    main()
