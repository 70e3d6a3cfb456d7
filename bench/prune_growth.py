#!/usr/bin/env python3
"""How a daemon's memory follows the article numbers it gives, with the articles it keeps bounded.

Starts `storyhash serve` on a new store, then ROUNDS times posts PER articles of CORPUS (JSON Lines, ids made
unique per round, published ten minutes ago) in NDJSON requests of 1,000 and prunes everything older than a
minute (`POST /v1/prune?older_than=1min`), printing the daemon's resident memory after each round. Finally
starts the daemon again on the store and prints its resident memory once `/readyz` answers.

    python3 bench/prune_growth.py target/release/storyhash /work/corpora/edits-1m.jsonl --rounds 16 --per 50000
"""

import argparse
import datetime
import json
import subprocess
import tempfile
import time
import urllib.request


def start(binary, db):
    p = subprocess.Popen([binary, "serve", "--db", db, "--listen", "127.0.0.1:0", "--log-level", "warn"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    addr = p.stdout.readline().strip().split()[-1]
    while True:
        try:
            urllib.request.urlopen(f"http://{addr}/readyz", timeout=60).read()
            return p, addr
        except Exception:
            time.sleep(0.05)


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--per", type=int, default=50_000)
    args = ap.parse_args()
    lines = open(args.corpus, encoding="utf-8").read().splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"{tmp}/db"
        p, addr = start(args.binary, db)

        def post(path, body=None):
            req = urllib.request.Request(f"http://{addr}{path}", data=body, method="POST",
                                         headers={"Content-Type": "application/x-ndjson"})
            return urllib.request.urlopen(req, timeout=600).read()

        given = 0
        for r in range(args.rounds):
            stamp = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            for start_at in range(0, args.per, 1000):
                batch = []
                for i in range(start_at, min(start_at + 1000, args.per)):
                    rec = json.loads(lines[(given + i) % len(lines)])
                    rec["id"], rec["published"] = f"r{r}-{i}", stamp
                    batch.append(json.dumps(rec))
                post("/v1/articles", ("\n".join(batch) + "\n").encode())
            given += args.per
            post("/v1/prune?older_than=1min")
            print(f"round {r}: {given:,} numbers given, resident {rss_mib(p.pid)} MiB", flush=True)
        p.terminate()
        p.wait()
        p, _ = start(args.binary, db)
        time.sleep(1)
        print(f"started again on the store: resident {rss_mib(p.pid)} MiB")
        p.terminate()
        p.wait()


if __name__ == "__main__":
    main()
