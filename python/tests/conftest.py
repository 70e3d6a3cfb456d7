"""Shared fixtures: the repository's sample data and the `storyhash` command built by cargo."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "uci-stories-dev.jsonl"


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def sample():
    """The 3,257 UCI headlines as dicts, in file order."""
    return read_jsonl(SAMPLE)


@pytest.fixture(scope="session")
def cli():
    """Runs the `storyhash` binary (STORYHASH_BIN, else target/debug/storyhash) and returns its result."""
    binary = pathlib.Path(os.environ.get("STORYHASH_BIN", ROOT / "target" / "debug" / "storyhash"))
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: build it with `cargo build` (or set STORYHASH_BIN)")

    def run(*args):
        done = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True)
        assert done.returncode == 0, f"storyhash {' '.join(map(str, args))}: {done.stderr}"
        return done

    return run


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return path
