#!/usr/bin/env python3
"""Write a corpus as shared-log entries, for timing how fast a new node catches up a log (stdlib only).

  python3 bench/log_entries.py CORPUS STREAM PER_ENTRY | redis-cli -p PORT --pipe

CORPUS is JSON Lines with "id" and "title" (and optional "source", "published"), as bench/make_corpora.py
writes them. Each output line group is one Redis XADD of PER_ENTRY articles (ids prefixed "e-") to
STREAM, in the entry format `storyhash serve --log` appends (format 1, kind "articles", one request key per
entry, every entry at one arrival time), so that a node applies them as it would requests posted to a node.

The stream must already carry its settings (`STREAM:settings`), which a node records when it first joins a
log: start one node on the stream first (`storyhash serve --db SEED --log redis://127.0.0.1:PORT
--log-stream STREAM`), stop it, then append. A new node on an empty store then replays everything:

  storyhash serve --db NEW --log redis://127.0.0.1:PORT --log-stream STREAM   # time until /readyz is 200

docs/BENCHMARKS.md ("Catching up") has the figures of a log of 1,000,000 single-article entries and of one
of 10,000 entries of 100 articles, both of edits-1m.
"""
import json
import sys

ARRIVAL = "1796167800"


def command(out, *parts):
    """One command in Redis's protocol."""
    chunks = [b"*%d\r\n" % len(parts)]
    for part in parts:
        if isinstance(part, str):
            part = part.encode("utf-8")
        chunks.append(b"$%d\r\n%s\r\n" % (len(part), part))
    out.write(b"".join(chunks))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    corpus, stream, per_entry = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = sys.stdout.buffer
    batch, entries = [], 0

    def append():
        nonlocal batch, entries
        articles = json.dumps(batch, ensure_ascii=False, separators=(",", ":"))
        command(out, "XADD", stream, "*", "v", "1", "kind", "articles", "key", f"bench-{entries}",
                "at", ARRIVAL, "articles", articles)
        batch, entries = [], entries + 1

    with open(corpus, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            article = {"id": "e-" + str(record["id"]), "title": record["title"]}
            for field in ("source", "published"):
                if record.get(field):
                    article[field] = record[field]
            batch.append(article)
            if len(batch) == per_entry:
                append()
    if batch:
        append()


if __name__ == "__main__":
    main()
