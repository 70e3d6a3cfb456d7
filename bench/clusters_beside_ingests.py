#!/usr/bin/env python3
"""How long one thread's `ingest` calls wait while another thread lists every cluster.

  python3 bench/clusters_beside_ingests.py CORPUS.jsonl [--stored 30000] [--db DIR] [--python-path DIR]

Stores the first --stored records of CORPUS with `ingest_many` (into a new store at --db, else in
memory), then starts a thread that ingests the following records one call at a time and, 0.3 s later,
calls `Engine.clusters()` on the main thread. Prints how many clusters it listed and in what time, and
the slowest single `ingest` of the other thread over the whole run: a listing that holds the index
while it reads its founders' headlines from the store makes that call wait for all of it.
"""

import argparse
import json
import sys
import threading
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--stored", type=int, default=30_000)
    parser.add_argument("--later", type=int, default=10_000, help="records the other thread ingests")
    parser.add_argument("--db", help="a new store's directory (default: in memory)")
    parser.add_argument("--python-path", help="a directory to import storyhash from")
    args = parser.parse_args()
    if args.python_path:
        sys.path.insert(0, args.python_path)
    import storyhash

    records = []
    with open(args.corpus, encoding="utf-8") as f:
        for line, _ in zip(f, range(args.stored + args.later)):
            r = json.loads(line)
            records.append((str(r["id"]), r["title"], r.get("published")))
    engine = storyhash.Engine(args.db)
    engine.ingest_many([{"id": i, "title": t, "published": p} for i, t, p in records[: args.stored]])
    stop = threading.Event()
    slowest = [0.0]

    def ingest_one_at_a_time() -> None:
        for id_, title, published in records[args.stored:]:
            if stop.is_set():
                return
            started = time.perf_counter()
            engine.ingest(id_, title, published=published)
            slowest[0] = max(slowest[0], time.perf_counter() - started)

    other = threading.Thread(target=ingest_one_at_a_time)
    other.start()
    time.sleep(0.3)
    started = time.perf_counter()
    clusters = engine.clusters()
    took = time.perf_counter() - started
    time.sleep(0.3)
    stop.set()
    other.join()
    print(f"clusters() listed {len(clusters)} in {took:.3f} s; slowest ingest beside it "
          f"{slowest[0] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
