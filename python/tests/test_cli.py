"""Python and the `storyhash` command agree: the same verdicts on the sample, and each continues a
store the other wrote."""

import storyhash
from conftest import SAMPLE, read_jsonl, write_jsonl


def same_standing(engine, mine, theirs):
    """Asserts that two verdict lists (Verdicts, CLI lines) place every id alike in `engine`."""
    assert [v.id for v in mine] == [t["id"] for t in theirs]
    for v, t in zip(mine, theirs):
        assert v.status == t["status"], v.id
        assert v.duplicate_of == t["duplicate_of"], v.id
        assert engine.resolve(v.cluster) == engine.resolve(t["cluster"]), v.id
        assert engine.resolve_story(v.story) == engine.resolve_story(t["story"]), v.id


def cluster_lines(path):
    return sorted((c["cluster"], tuple(c["members"])) for c in read_jsonl(path))


def test_verdicts_equal_the_cli_on_the_sample(tmp_path, cli, sample):
    out = tmp_path / "verdicts.jsonl"
    cli("dedupe", SAMPLE, "-o", out, "-q")
    theirs = read_jsonl(out)

    many = storyhash.Engine()
    same_standing(many, many.ingest_many(sample), theirs)
    one = storyhash.Engine()
    mine = [one.ingest(r["id"], r["title"], source=r["source"], url=r["url"], published=r["published"])
            for r in sample]
    same_standing(one, mine, theirs)
    assert {(r["status"]) for r in theirs} == {"new", "duplicate", "near_duplicate"}


def test_a_store_written_from_python_continues_in_the_cli(tmp_path, cli, sample):
    half = len(sample) // 2
    whole = tmp_path / "whole"
    cli("dedupe", SAMPLE, "-o", whole.with_suffix(".v"), "--clusters", whole.with_suffix(".c"), "-q")

    db = tmp_path / "py.db"
    with storyhash.Engine(db) as engine:
        engine.ingest_many(sample[:half])
    second = write_jsonl(tmp_path / "second.jsonl", sample[half:])
    cli("dedupe", second, "--db", db, "-o", tmp_path / "v2", "--clusters", tmp_path / "c2", "-q")

    assert cluster_lines(tmp_path / "c2") == cluster_lines(whole.with_suffix(".c"))
    assert read_jsonl(tmp_path / "v2") == read_jsonl(whole.with_suffix(".v"))[half:]


def test_a_store_written_by_the_cli_continues_in_python(tmp_path, cli, sample):
    half = len(sample) // 2
    whole = tmp_path / "whole.v"
    cli("dedupe", SAMPLE, "-o", whole, "-q")
    expected = read_jsonl(whole)

    db = tmp_path / "cli.db"
    first = write_jsonl(tmp_path / "first.jsonl", sample[:half])
    cli("dedupe", first, "--db", db, "-o", "/dev/null", "-q")
    with storyhash.Engine(db) as engine:
        for t in expected[:half]:
            stored = engine.get(t["id"])
            assert (stored.status, stored.duplicate_of) == (t["status"], t["duplicate_of"])
            assert stored.cluster == engine.resolve(t["cluster"])
            assert engine.resolve_story(stored.story) == engine.resolve_story(t["story"])
        same_standing(engine, engine.ingest_many(sample[half:]), expected[half:])
