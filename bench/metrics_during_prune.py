#!/usr/bin/env python3
"""How long `/metrics` takes to answer while the daemon prunes.

Starts `storyhash serve` on STORE (a store written by `storyhash dedupe FILE --db STORE`; it is pruned
empty, so give a copy), waits for `/readyz`, scrapes `/metrics` once, then prunes every article
(`POST /v1/prune?older_than=1min`) and, while that runs, times SCRAPES scrapes 0.3 s apart, printing each
one's time and the live-article gauge it answered.

    head -300000 edits-1m.jsonl > in.jsonl && storyhash dedupe in.jsonl --db STORE -o /dev/null -q
    python3 bench/metrics_during_prune.py target/release/storyhash STORE
"""

import argparse
import socket
import subprocess
import threading
import time
import urllib.request


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("store")
    ap.add_argument("--scrapes", type=int, default=6)
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    daemon = subprocess.Popen(
        [args.binary, "serve", "--db", args.store, "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        daemon.stdout.readline()  # "listening on ..."
        while True:
            try:
                if urllib.request.urlopen(base + "/readyz").status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        urllib.request.urlopen(base + "/metrics").read()

        def prune():
            started = time.time()
            request = urllib.request.Request(base + "/v1/prune?older_than=1min", method="POST")
            said = urllib.request.urlopen(request).read().decode()
            print(f"prune: {time.time() - started:.2f} s {said}")

        pruning = threading.Thread(target=prune)
        pruning.start()
        time.sleep(0.3)
        for _ in range(args.scrapes):
            started = time.time()
            text = urllib.request.urlopen(base + "/metrics").read().decode()
            live = next((l for l in text.splitlines() if l.startswith("storyhash_articles ")), "")
            print(f"/metrics: {time.time() - started:.3f} s, {live}")
            time.sleep(0.3)
        pruning.join()
    finally:
        daemon.terminate()
        daemon.wait()


if __name__ == "__main__":
    main()
