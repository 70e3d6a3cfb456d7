#!/usr/bin/env python3
"""Turns Reuters-21578 (`reuters21578.jsonl.gz` of the project's shared data) into JSON Lines that
`storyhash` reads with their times: `date` ("26-FEB-1987 15:01:01.79") becomes `published` in RFC 3339,
and the records without a title are left out.

    python3 bench/reuters_timed.py reuters21578.jsonl.gz > reuters-timed.jsonl
    storyhash eval reuters-timed.jsonl --feed --show 40
"""

import gzip
import json
import sys
from datetime import datetime


def main() -> None:
    for line in gzip.open(sys.argv[1], "rt", encoding="utf-8"):
        record = json.loads(line)
        if not record.get("title"):
            continue
        out = {"id": record["id"], "title": record["title"], "body": record.get("body")}
        try:
            when = datetime.strptime(record["date"].strip().split(".")[0], "%d-%b-%Y %H:%M:%S")
            out["published"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        except (KeyError, ValueError):
            pass  # one record's date is unreadable: it takes its arrival time
        print(json.dumps(out))


if __name__ == "__main__":
    main()
