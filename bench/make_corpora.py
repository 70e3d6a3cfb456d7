#!/usr/bin/env python3
"""Build the benchmark corpora from real headline archives (deterministic; stdlib only, about a minute).

  python3 bench/make_corpora.py --data DATA_DIR OUT_DIR

DATA_DIR holds three archives (they are not in this repository: they come from public git archives of news
feeds that state no licence, so they are used for evaluation and not redistributed; any archive of the same
shape works):
  news-archive-headlines.jsonl.gz    one distinct headline per line: {"id": int, "title", "source",
                                     "first_seen": "YYYY-MM-DDTHH:MM"}
  news-archive-observations.tsv.gz   every poll of the feed: "YYYY-MM-DDTHH:MM<TAB>headline id" per line
  gnews-headlines.jsonl.gz           {"title", "description", "url", "domain", "fetched_at"} per line

It writes to OUT_DIR (keep it outside the repository), as JSON Lines {"id", "title", "source", "published"}:
  stream-1m.jsonl  the real crawl stream: every time a top-headlines feed was polled, each headline it showed
                   (1,058,539 observations of 121,583 distinct headlines, in time order; repeats are real)
  edits-1m.jsonl   100,000 real headlines, each also in 9 lightly edited copies (a word dropped or swapped,
                   a prefix like "UPDATE:", a syndication suffix like " - Reuters", a typo), shuffled;
                   field "base" tells which original a copy came from (a near-duplicate ground truth)
  gnews-86k.jsonl  the GNews archive as it was polled (title + description as body, url, domain)
"""
import argparse, gzip, json, os, random, sys

ARCHIVES = ["news-archive-headlines.jsonl.gz", "news-archive-observations.tsv.gz", "gnews-headlines.jsonl.gz"]
PREFIXES = ["BREAKING:", "UPDATE:", "LIVE:", "Exclusive:", "WATCH:", "Report:", "Analysis:", "VIDEO:"]
SUFFIXES = [" - Reuters", " | AP", " (Update 2)", " - live updates", " - report", " | Opinion"]


def light_edit(title, rng, vocab):
    words = title.split()
    for _ in range(rng.choice((1, 1, 2))):
        op = rng.randrange(7)
        if op == 0 and len(words) > 3:
            del words[rng.randrange(len(words))]
        elif op == 1:
            words.insert(0, rng.choice(PREFIXES))
        elif op == 2 and len(words) > 1:
            words[rng.randrange(len(words))] = rng.choice(vocab)
        elif op == 3 and len(words) > 2:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        elif op == 4:
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 3:
                j = rng.randrange(len(w))
                words[i] = w[:j] + rng.choice("abcdefghijklmnopqrstuvwxyz") + w[j + 1:]
        elif op == 5:
            words.extend(rng.choice(SUFFIXES).split())
        else:
            words = [w.strip("'\"‘’“”:,.!?") or w for w in words]
    return " ".join(words)


def main(data, out_dir):
    missing = [n for n in ARCHIVES if not os.path.isfile(os.path.join(data, n))]
    if missing:
        sys.exit(f"make_corpora.py: {data} lacks {', '.join(missing)} (see the top of this script)")
    os.makedirs(out_dir, exist_ok=True)
    heads = [json.loads(l) for l in gzip.open(os.path.join(data, "news-archive-headlines.jsonl.gz"), "rt", encoding="utf-8")]
    by_id = {h["id"]: h for h in heads}
    with open(os.path.join(out_dir, "stream-1m.jsonl"), "w", encoding="utf-8") as f:
        for i, line in enumerate(gzip.open(os.path.join(data, "news-archive-observations.tsv.gz"), "rt")):
            seen, hid = line.rstrip("\n").split("\t")
            h = by_id[int(hid)]
            f.write(json.dumps({"id": str(i), "title": h["title"], "source": h["source"], "published": seen + ":00Z"}, ensure_ascii=False) + "\n")
    rng = random.Random(20250101)
    base = heads[:100_000]
    vocab = sorted({w for h in base for w in h["title"].split()})
    items = [(h, h["title"]) for h in base]
    for _ in range(9):
        items.extend((h, light_edit(h["title"], rng, vocab)) for h in base)
    rng.shuffle(items)
    with open(os.path.join(out_dir, "edits-1m.jsonl"), "w", encoding="utf-8") as f:
        for i, (h, title) in enumerate(items):
            f.write(json.dumps({"id": str(i), "title": title, "source": h["source"], "published": h["first_seen"] + ":00Z", "base": str(h["id"])}, ensure_ascii=False) + "\n")
    with open(os.path.join(out_dir, "gnews-86k.jsonl"), "w", encoding="utf-8") as f:
        for i, line in enumerate(gzip.open(os.path.join(data, "gnews-headlines.jsonl.gz"), "rt", encoding="utf-8")):
            r = json.loads(line)
            f.write(json.dumps({"id": str(i), "title": r["title"], "body": r.get("description") or "", "source": r["domain"], "url": r["url"], "published": r["fetched_at"]}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Build the benchmark corpora from real headline archives.")
    ap.add_argument("--data", required=True, metavar="DATA_DIR", help="directory holding the three archives")
    ap.add_argument("out_dir", metavar="OUT_DIR", help="where to write the corpora (outside the repository)")
    a = ap.parse_args()
    main(a.data, a.out_dir)
