#!/usr/bin/env python3
"""storyhash from Python beside the `storyhash` command, rensa and datasketch, on one file in one run.

  cargo build --release
  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install ./python rensa==0.5.0 datasketch==2.0.0
  python3 bench/python_compare.py CORPUS.jsonl --python /tmp/venv/bin/python [--runs 3] [--peer-runs 1]

Every measurement runs in a process of its own and is timed from start to exit (wall clock), with its
peak resident memory:
- cli: `target/release/storyhash dedupe CORPUS -o /dev/null -q`
- python ingest_many: a process that reads CORPUS line by line, json.loads each line and hands the
  generator of dicts to `Engine().ingest_many` (everything a crawler would do), keeping the verdicts; the
  same with the file's lines handed over as bytes, parsed by storyhash (`ingest_many(open(CORPUS, "rb"))`); and
  the `ingest_many` call alone, timed inside a process over dicts it read beforehand
- python ingest: `Engine().ingest(id, title)` called once per record for the first --single-limit
  records (read beforehand), in memory; articles per second over the loop alone; and the same loop with
  each record's time, `ingest(id, title, published=...)` (an article without one arrives now, so that
  in a loop of calls no story ever closes: the story level's heaviest case)
- rensa: bench/rensa_baseline.py; datasketch: bench/datasketch_baseline.py (titles only, the same job)
The figure per tool is the median of its runs; `uptime` is printed before and after, since figures taken
on a busy machine are not comparable with quiet ones.
"""
import argparse, json, os, pathlib, statistics, subprocess, sys, tempfile, time

HERE = pathlib.Path(__file__).resolve().parent

MANY = r"""
import json, sys, time, storyhash
path, mode = sys.argv[1], sys.argv[2]
if mode == "call":
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
t0 = time.perf_counter()
engine = storyhash.Engine()
if mode == "call":
    verdicts = engine.ingest_many(records)
elif mode == "lines":
    with open(path, "rb") as f:
        verdicts = engine.ingest_many(f)
else:
    with open(path, encoding="utf-8") as f:
        verdicts = engine.ingest_many(json.loads(line) for line in f)
t1 = time.perf_counter()
print(json.dumps({"records": len(verdicts), "seconds": t1 - t0}))
"""

SINGLE = r"""
import json, sys, time, storyhash
path, limit, timed = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "published"
with open(path, encoding="utf-8") as f:
    rows = [(r["id"], r["title"], r.get("published")) for r, _ in zip(map(json.loads, f), range(limit))]
engine = storyhash.Engine()
ingest = engine.ingest
t0 = time.perf_counter()
if timed:
    for id_, title, published in rows:
        ingest(id_, title, published=published)
else:
    for id_, title, _ in rows:
        ingest(id_, title)
t1 = time.perf_counter()
print(json.dumps({"records": len(rows), "seconds": t1 - t0}))
"""


def measured(cmd):
    """Runs cmd under a tiny wrapper that reports the child's own peak RSS (os.wait4)."""
    wrapper = (
        "import json, os, sys, time\n"
        "t0 = time.perf_counter()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.execvp(sys.argv[1], sys.argv[1:])\n"
        "_, status, usage = os.wait4(pid, 0)\n"
        "wall = time.perf_counter() - t0\n"
        "sys.stderr.write(json.dumps({'wall': wall, 'rss': usage.ru_maxrss * 1024, 'status': status}) + '\\n')\n"
        "sys.exit(0 if status == 0 else 1)\n"
    )
    p = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {p.stderr[-2000:]}")
    info = json.loads(p.stderr.strip().splitlines()[-1])
    return info["wall"], info["rss"], p.stdout


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--python", required=True, help="interpreter with storyhash, rensa and datasketch installed")
    ap.add_argument("--cli", default=str(HERE.parent / "target" / "release" / "storyhash"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--peer-runs", type=int, default=1)
    ap.add_argument("--single-limit", type=int, default=200_000, help="records for the one-call-per-record loop")
    ap.add_argument("--skip", default="", help="comma-separated tools to leave out (rensa, datasketch)")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    print("before:", uptime(), flush=True)
    results = {}

    def record(name, wall, rss, extra=None):
        results.setdefault(name, []).append({"wall": wall, "rss": rss, **(extra or {})})
        print(f"  {name}: {wall:.2f} s, {rss / 2**20:,.0f} MiB {extra or ''}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.jsonl")
        for _ in range(a.runs):
            wall, rss, _ = measured([a.cli, "dedupe", a.corpus, "-o", "/dev/null", "-q"])
            record("cli", wall, rss)
            wall, rss, text = measured([a.python, "-c", MANY, a.corpus, "file"])
            record("python ingest_many", wall, rss, json.loads(text))
            wall, rss, text = measured([a.python, "-c", MANY, a.corpus, "call"])
            record("python ingest_many call", wall, rss, json.loads(text))
            wall, rss, text = measured([a.python, "-c", MANY, a.corpus, "lines"])
            record("python ingest_many lines", wall, rss, json.loads(text))
            for mode, name in (("untimed", "python ingest"), ("published", "python ingest published")):
                wall, rss, text = measured([a.python, "-c", SINGLE, a.corpus, str(a.single_limit), mode])
                record(name, wall, rss, json.loads(text))
        for _ in range(a.peer_runs):
            if "rensa" not in skip:
                wall, rss, _ = measured([a.python, str(HERE / "rensa_baseline.py"), a.corpus, out])
                record("rensa", wall, rss)
            if "datasketch" not in skip:
                wall, rss, _ = measured([a.python, str(HERE / "datasketch_baseline.py"), a.corpus, out])
                record("datasketch", wall, rss)
    print("after:", uptime())

    med = lambda name, key="wall": statistics.median(r[key] for r in results[name])
    n = results["python ingest_many"][0]["records"]
    cli = med("cli")
    many = med("python ingest_many")
    call = statistics.median(r["seconds"] for r in results["python ingest_many call"])
    single = statistics.median(r["records"] / r["seconds"] for r in results["python ingest"])
    single_timed = statistics.median(r["records"] / r["seconds"] for r in results["python ingest published"])
    print(f"\n{n:,} records, medians of {a.runs} runs ({a.peer_runs} for peers)")
    print("| tool | time | records/s | peak memory |")
    print("|---|---|---|---|")
    print(f"| `storyhash dedupe` (CLI) | {cli:.2f} s | {n / cli:,.0f} | {med('cli', 'rss') / 2**20:,.0f} MiB |")
    print(f"| Python `ingest_many`, file to verdicts | {many:.2f} s | {n / many:,.0f} ({cli / many:.0%} of the CLI) | {med('python ingest_many', 'rss') / 2**20:,.0f} MiB |")
    lines = med("python ingest_many lines")
    print(f"| Python `ingest_many` over the file's lines as bytes (no `json.loads`) | {lines:.2f} s | {n / lines:,.0f} ({cli / lines:.0%} of the CLI) | {med('python ingest_many lines', 'rss') / 2**20:,.0f} MiB |")
    print(f"| Python `ingest_many` call alone | {call:.2f} s | {n / call:,.0f} ({cli / call:.0%} of the CLI) | {med('python ingest_many call', 'rss') / 2**20:,.0f} MiB |")
    ns = results["python ingest"][0]["records"]
    print(f"| Python `ingest`, one call per record (first {ns:,}) | {ns / single:.2f} s | {single:,.0f} | {med('python ingest', 'rss') / 2**20:,.0f} MiB |")
    print(f"| the same with each record's `published` | {ns / single_timed:.2f} s | {single_timed:,.0f} | {med('python ingest published', 'rss') / 2**20:,.0f} MiB |")
    for peer in ("rensa", "datasketch"):
        if peer in results:
            t = med(peer)
            print(f"| {peer} (bench/{peer}_baseline.py) | {t:.2f} s | {n / t:,.0f} | {med(peer, 'rss') / 2**20:,.0f} MiB |")
    print("\nruns:", json.dumps(results))


if __name__ == "__main__":
    main()
