#!/usr/bin/env python3
"""End-to-end speed and accuracy of `storyhash dedupe` against rensa on the same files, in the same run.

  python3 bench/compare.py --corpora DIR [--runs 5] [--rensa-runs 3] [--rensa-python PY] [--stream-prefix N]

DIR holds the corpora written by bench/make_corpora.py. For edits-1m.jsonl, stream-1m.jsonl and
hot-1.3m.jsonl it times `storyhash dedupe FILE -o OUT` (release build) --runs times, and on edits-1m
bench/rensa_baseline.py with the same shingles (char5) and threshold (0.5) --rensa-runs times, alternating
the two; it reports the median wall time, the median CPU time (user + system) and its system part, peak
resident memory and the ratio, on edits-1m the pairwise precision and recall of both against the `base`
field, and on hot-1.3m how many clusters the copies of its headlines fall into. rensa does not finish the
full stream (its all-pairs query outgrows memory), so the stream is also compared on its first
--stream-prefix lines. With a store: --db-runs times (0: none) it writes edits-1m into a new sled store
(`dedupe FILE -o OUT --quiet --db DIR`, the directory removed and `sync` run first) and opens that store
again (`dedupe /dev/null --format text --db DIR --quiet -o /dev/null`), and checks that the verdicts equal
those of the run without a store. Stdlib only; rensa comes from `pip install rensa==0.5.0` in the
interpreter given by --rensa-python.
"""
import argparse, filecmp, json, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd):
    """Runs cmd; returns (seconds, peak RSS in MiB, exit code, CPU seconds, system seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"  ! {' '.join(cmd)} exited {code}: {err.strip()[-300:]}", file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024, code, usage.ru_utime + usage.ru_stime, usage.ru_stime


def hot_clusters(corpus, verdicts):
    """Clusters over all records of the hot corpus, and over how many its headlines' copies spread."""
    base = [json.loads(line)["base"] for line in open(corpus, encoding="utf-8")]
    clusters, per_base = set(), {}
    for b, line in zip(base, open(verdicts, encoding="utf-8")):
        c = json.loads(line)["cluster"]
        clusters.add(c)
        per_base.setdefault(b, set()).add(c)
    split = sum(1 for s in per_base.values() if len(s) > 1)
    return len(clusters), len(per_base), split


def pairwise(gold_path, pred_path, field):
    out = subprocess.run([sys.executable, os.path.join(HERE, "pairwise.py"), gold_path, pred_path,
                          "--gold-field", field, "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def count(least):
    """An argparse type: a whole number no smaller than `least`."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is less than {least}")
        return value
    return parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", required=True)
    ap.add_argument("--runs", type=count(1), default=5, help="runs of storyhash on each corpus (at least 1)")
    ap.add_argument("--rensa-runs", type=count(0), default=3, help="runs of rensa (0: none)")
    ap.add_argument("--rensa-python", default=sys.executable)
    ap.add_argument("--stream-prefix", type=int, default=100_000)
    ap.add_argument("--db-runs", type=count(0), default=3, help="runs of edits-1m into a store, and its reopening")
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "storyhash")
    rensa = os.path.join(HERE, "rensa_baseline.py")
    tmp = tempfile.mkdtemp(prefix="storyhash-bench-")
    edits = os.path.join(a.corpora, "edits-1m.jsonl")
    stream = os.path.join(a.corpora, "stream-1m.jsonl")
    hot = os.path.join(a.corpora, "hot-1.3m.jsonl")
    prefix = os.path.join(tmp, f"stream-{a.stream_prefix // 1000}k.jsonl")
    with open(stream, encoding="utf-8") as src, open(prefix, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= a.stream_prefix:
                break
            dst.write(line)
    rows = []
    for name, path, rensa_too in [("edits-1m", edits, True), ("stream-1m", stream, False),
                                  ("hot-1.3m", hot, False), (os.path.basename(prefix)[:-6], prefix, True)]:
        if not os.path.exists(path):
            print(f"  ! {path} is missing (bench/make_corpora.py writes it); skipped", file=sys.stderr)
            continue
        ours_out = os.path.join(tmp, f"{name}.storyhash.jsonl")
        theirs_out = os.path.join(tmp, f"{name}.rensa.jsonl")
        ours, theirs = [], []
        for run in range(max(a.runs, a.rensa_runs if rensa_too else 0)):
            if run < a.runs:
                ours.append(timed([binary, "dedupe", path, "-o", ours_out, "--quiet"]))
                print(f"  {name} storyhash run {run + 1}: {ours[-1][0]:.2f} s, {ours[-1][1]:.0f} MiB", file=sys.stderr)
            if rensa_too and run < a.rensa_runs:
                theirs.append(timed([a.rensa_python, rensa, path, theirs_out, "--shingle", "char5",
                                     "--threshold", "0.5"]))
                print(f"  {name} rensa run {run + 1}: {theirs[-1][0]:.2f} s, {theirs[-1][1]:.0f} MiB", file=sys.stderr)
        row = {"corpus": name,
               "storyhash_s": statistics.median(r[0] for r in ours),
               "storyhash_mib": max(r[1] for r in ours),
               "storyhash_cpu": statistics.median(r[3] for r in ours),
               "storyhash_sys": statistics.median(r[4] for r in ours)}
        if theirs and all(r[2] == 0 for r in theirs):
            row["rensa_s"] = statistics.median(r[0] for r in theirs)
            row["rensa_mib"] = max(r[1] for r in theirs)
            row["ratio"] = row["rensa_s"] / row["storyhash_s"]
        if name == "hot-1.3m":
            row["hot"] = hot_clusters(path, ours_out)
        if name == "edits-1m":
            row["storyhash_pr"] = pairwise(path, ours_out, "base")
            if theirs:
                row["rensa_pr"] = pairwise(path, theirs_out, "base")
        rows.append(row)
    stores = with_store(binary, edits, tmp, a.db_runs) if a.db_runs > 0 and os.path.exists(edits) else None
    print("| corpus | storyhash median s | CPU s (system) | storyhash peak MiB | rensa median s | rensa peak MiB"
          " | ratio |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "rensa_s" in r:
            theirs = f"{r['rensa_s']:.2f} | {r['rensa_mib']:.0f} | {r['ratio']:.1f}x"
        else:
            theirs = "not run | | "
        print(f"| {r['corpus']} | {r['storyhash_s']:.2f} | {r['storyhash_cpu']:.2f} ({r['storyhash_sys']:.2f})"
              f" | {r['storyhash_mib']:.0f} | {theirs} |")
    for r in rows:
        if "hot" in r:
            clusters, headlines, split = r["hot"]
            print(f"{r['corpus']}: {clusters} clusters for {headlines} headlines; {split} headlines' copies"
                  " in more than one cluster")
    for r in rows:
        for who in ("storyhash", "rensa"):
            pr = r.get(f"{who}_pr")
            if pr:
                print(f"{r['corpus']} {who}: pairwise precision {pr['precision']} recall {pr['recall']} "
                      f"f1 {pr['f1']} ({pr['predicted_clusters']} clusters, {pr['gold_clusters']} gold)")
    if stores:
        for what, runs in stores["runs"].items():
            print(f"edits-1m {what}: {statistics.median(r[0] for r in runs):.2f} s median"
                  f" ({', '.join(f'{r[0]:.2f}' for r in runs)}), CPU {statistics.median(r[3] for r in runs):.2f} s"
                  f" (system {statistics.median(r[4] for r in runs):.2f} s), peak {max(r[1] for r in runs):.0f} MiB")
        said = {True: "equal to", False: "DIFFERENT FROM", None: "not compared with"}[stores["same"]]
        print(f"edits-1m --db: verdicts {said} those without a store")
    print(f"runs: storyhash {a.runs}, rensa {a.rensa_runs}, with a store {a.db_runs}; outputs in {tmp}")


def with_store(binary, corpus, tmp, runs):
    """Times `runs` runs of corpus into a new store and the reopening of each store."""
    db = os.path.join(tmp, "edits-1m.db")
    out = os.path.join(tmp, "edits-1m.db.jsonl")
    plain = os.path.join(tmp, "edits-1m.storyhash.jsonl")
    times = {"--db into a new store": [], "opening that store": []}
    for run in range(runs):
        shutil.rmtree(db, ignore_errors=True)
        subprocess.run(["sync"], check=False)
        times["--db into a new store"].append(timed([binary, "dedupe", corpus, "-o", out, "--quiet", "--db", db]))
        times["opening that store"].append(timed([binary, "dedupe", "/dev/null", "--format", "text", "--db", db,
                                                  "--quiet", "-o", "/dev/null"]))
        print(f"  edits-1m --db run {run + 1}: {times['--db into a new store'][-1][0]:.2f} s, opening "
              f"{times['opening that store'][-1][0]:.2f} s", file=sys.stderr)
    # None: there was no run without a store to compare with.
    same = (os.path.exists(out) and filecmp.cmp(out, plain, shallow=False)) if os.path.exists(plain) else None
    shutil.rmtree(db, ignore_errors=True)
    return {"runs": times, "same": same}


if __name__ == "__main__":
    main()
