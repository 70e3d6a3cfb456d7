#!/usr/bin/env python3
"""What the story level costs: the share of CPU samples with story code on the stack.

  perf record -e cpu-clock -F 250 --call-graph dwarf,32768 -o perf.data \\
      target/release/storyhash dedupe FILE -o out.jsonl -q
  perf script -i perf.data | python3 bench/story_share.py

A sample counts as story work when a frame of its stack names `story::`, `followed_story`,
`headline_text` or `story_terms` (the story index, the story a match is followed into, and the
headline's words, read in the parallel stage). The cost is all samples over the samples outside story
code: what a run costs against near-duplicate work alone. Use DWARF call graphs: frame-pointer stacks
(`-g`) of the release build stop short of the callers and count only a fraction of the story work.
Stdlib only.
"""
import sys

KEYS = ("story::", "followed_story", "headline_text", "story_terms")


def main():
    total = story = 0
    frames = []

    def flush():
        nonlocal total, story
        if frames:
            total += 1
            if any(key in frame for frame in frames for key in KEYS):
                story += 1

    for line in sys.stdin:
        if not line.strip() or line[0] not in " \t":
            # A blank line ends a sample; an unindented one starts the next.
            flush()
            frames.clear()
            continue
        frames.append(line.strip())
    flush()
    if total == 0 or total == story:
        sys.exit("no samples outside story code: is this `perf script` output?")
    print(f"samples {total}, in story code {story} ({story / total:.1%}), "
          f"cost {total / (total - story):.2f}x near-duplicate work alone")


if __name__ == "__main__":
    main()
