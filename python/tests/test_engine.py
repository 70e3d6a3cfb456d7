"""The engine from Python: verdicts, lookups, the store's life cycle, settings and bad input."""

import collections.abc
import copy
import datetime
import doctest
import errno
import gc
import json
import os
import pathlib
import pickle
import re
import signal
import threading
import time
import types

import pytest

import storyhash

ECB_1 = "ECB unlikely to end sterilisation of SMP purchases - traders"
ECB_2 = "ECB unlikely to end sterilization of SMP purchases: traders"
PORTUGAL = "Portugal's Democratic Alliance Stands Firm on Governance"


def test_a_near_duplicate_joins_the_cluster_of_the_article_it_repeats():
    engine = storyhash.Engine()
    a = engine.ingest("a", ECB_1)
    b = engine.ingest("b", ECB_2, source="Reuters India")
    c = engine.ingest("c", PORTUGAL)
    assert (a.status, b.status, c.status) == ("new", "near_duplicate", "new")
    assert b.cluster == a.cluster and b.story == a.story and c.cluster != a.cluster
    assert b.duplicate_of == "a" and 0.5 <= b.similarity < 1.0 and b.cluster_size == 2
    assert a.duplicate_of is None and a.similarity is None
    d = engine.ingest("d", "UPDATE 1-" + ECB_1)
    assert d.status == "duplicate" and d.similarity == 1.0 and d.is_duplicate
    assert b.as_dict()["status"] == "near_duplicate"


def test_query_answers_without_storing_and_a_repeat_answers_the_stored_verdict():
    engine = storyhash.Engine()
    first = engine.ingest("a", ECB_1)
    q = engine.query("q", ECB_2)
    assert q.status == "near_duplicate" and q.duplicate_of == "a"
    assert engine.get("q") is None and engine.stats().articles == 1
    repeated = engine.ingest("a", ECB_1)
    assert repeated.repeat and not first.repeat
    assert repeated.as_dict() == {**first.as_dict(), "repeat": True}
    assert engine.stats().articles == 1


def test_a_headline_is_queried_without_an_id_by_its_text_alone():
    engine = storyhash.Engine()
    engine.ingest("a", ECB_1)
    q = engine.query(None, ECB_2)
    assert (q.id, q.status, q.duplicate_of) == (None, "near_duplicate", "a")
    assert q.as_dict()["id"] is None and "id=None" in repr(q)
    assert pickle.loads(pickle.dumps(q)) == q
    # A stored id with another text is refused when given; without an id, the text is judged.
    with pytest.raises(storyhash.ArticleError, match="already stored with a different text"):
        engine.query("a", PORTUGAL)
    assert engine.query(None, PORTUGAL).status == "new"
    assert engine.query(" ", ECB_2) == q
    for blank in ("", "  "):
        assert storyhash.Verdict(blank, "new", 0, 0, None, None, 1) == storyhash.Verdict(None, "new", 0, 0, None, None, 1)
    with pytest.raises(storyhash.ArticleError, match="^field `title` is empty$"):
        engine.query(None, " ")
    assert engine.stats().articles == 1


def test_verdicts_are_left_out_of_the_cycle_collector_and_live_on_their_own():
    # A verdict refers to no other Python object, so the collector need not walk the millions a crawl
    # keeps; it must still hold its values after everything else is gone.
    engine = storyhash.Engine()
    verdicts = [engine.ingest("a", ECB_1), engine.query("q", ECB_2)]
    verdicts += engine.ingest_many([("b", ECB_2), {"id": "c", "title": PORTUGAL}])
    assert not any(gc.is_tracked(v) for v in verdicts)
    del engine
    gc.collect()
    assert [(v.id, v.status, v.duplicate_of) for v in verdicts] == [
        ("a", "new", None),
        ("q", "near_duplicate", "a"),
        ("b", "near_duplicate", "a"),
        ("c", "new", None),
    ]


def test_lookups_show_where_articles_stand():
    engine = storyhash.Engine()
    when = datetime.datetime(2014, 3, 10, 16, 55, 1, tzinfo=datetime.timezone.utc)
    a = engine.ingest(7, ECB_1, source="Interactive Investor", url="http://x/1", published=when)
    engine.ingest("b", ECB_2, source="Reuters India", published="2014-03-10T17:00:00Z")
    engine.ingest("c", PORTUGAL, published=1394469125)

    stored = engine.get(7)
    assert stored.id == "7" and stored.title == ECB_1 and stored.url == "http://x/1"
    assert stored.published == "2014-03-10T16:55:01Z" and stored.status == "new"
    assert engine.get("missing") is None

    cluster = engine.cluster(a.cluster)
    assert cluster.size == 2 and [m.id for m in cluster.members] == ["7", "b"]
    assert cluster.sources == ["Interactive Investor", "Reuters India"]
    assert cluster.first_seen == when and cluster.members[0].time == when
    assert [m.url for m in cluster.members] == ["http://x/1", None]
    assert cluster.last_seen == datetime.datetime(2014, 3, 10, 17, tzinfo=datetime.timezone.utc)
    assert engine.cluster(a.cluster, offset=1, limit=5).members[0].id == "b"
    assert engine.cluster(999) is None
    assert {m.id for m in engine.story(a.story).members} >= {"7", "b"}
    assert [(c.id, c.members) for c in engine.clusters(min_size=2)] == [(a.cluster, ["7", "b"])]

    trends = engine.trending(datetime.datetime(2014, 3, 1, tzinfo=datetime.timezone.utc))
    assert trends[0].id == a.cluster and trends[0].growth == 2
    assert engine.trending() == []  # nothing in the last 24 hours

    assert engine.remove("b") is True and engine.remove("b") is False
    assert engine.get("b") is None and engine.cluster(a.cluster).size == 1
    assert engine.prune(datetime.datetime(2014, 3, 10, 17, tzinfo=datetime.timezone.utc)) == 2
    assert engine.stats().articles == 0


def test_a_store_survives_close_and_reopens_with_its_settings(tmp_path):
    db = tmp_path / "news.db"
    with storyhash.Engine(db, shingle="word1", threshold=0.6) as engine:
        first = engine.ingest("a", ECB_1)
        assert engine.path == db
    assert engine.closed
    with pytest.raises(ValueError, match="closed"):
        engine.ingest("b", ECB_2)
    engine.close()  # twice is fine
    with pytest.raises(ValueError, match="closed"):
        with engine:  # as a closed file: no context to enter
            pass

    with storyhash.Engine(str(db)) as again:
        assert again.settings["shingle"] == "word1" and again.settings["threshold"] == 0.6
        assert again.get("a").cluster == first.cluster
        # A stored article ingested again is answered as it stands, marked as a repeat.
        repeated = again.ingest("a", ECB_1)
        assert repeated.repeat and not first.repeat, repeated
        assert repeated.as_dict() == {**first.as_dict(), "repeat": True}
        assert repr(repeated).endswith(", repeat=True)")


def test_a_store_path_is_a_str_bytes_or_path_like_and_anything_else_is_named(tmp_path):
    db = tmp_path / "bytes.db"
    with storyhash.Engine(os.fsencode(db)) as engine:
        engine.ingest("a", ECB_1)
        assert engine.path == db
    with storyhash.Engine(db) as again:
        assert again.get("a").title == ECB_1
    with pytest.raises(TypeError, match=r"^`path`: expected a directory as str or os.PathLike .*, found int"):
        storyhash.Engine(5)
    # An empty path (a setting read from an unset variable) is named, not opened as "".
    for empty in ["", b""]:
        with pytest.raises(storyhash.ConfigError, match="`path`: is empty: give the store's directory"):
            storyhash.Engine(empty)
    with storyhash.Engine(None) as memory:
        assert memory.path is None


def test_a_store_open_in_one_engine_cannot_be_opened_in_another(tmp_path):
    db = tmp_path / "news.db"
    engine = storyhash.Engine(db)
    with pytest.raises(storyhash.StoreError, match="already open") as e:
        storyhash.Engine(db)
    assert isinstance(e.value, OSError)
    engine.close()
    storyhash.Engine(db).close()  # free again once closed


def test_a_store_the_system_refuses_carries_the_system_s_errno(tmp_path):
    db = tmp_path / "news.db"
    db.write_text("not a store")
    with pytest.raises(OSError) as e:
        storyhash.Engine(db)
    assert isinstance(e.value, storyhash.StoreError)
    assert e.value.errno == errno.ENOTDIR
    assert e.value.strerror == os.strerror(errno.ENOTDIR)
    assert str(e.value).startswith(f"cannot open store at {db}: "), str(e.value)
    assert db.read_text() == "not a store"
    # A refusal of the store's own has no system number.
    engine = storyhash.Engine(tmp_path / "other.db")
    with pytest.raises(storyhash.StoreError, match="already open") as e:
        storyhash.Engine(tmp_path / "other.db")
    assert e.value.errno is None and e.value.strerror is None
    engine.close()


def test_settings_that_contradict_the_store_name_the_setting(tmp_path):
    db = tmp_path / "news.db"
    storyhash.Engine(db).close()
    with pytest.raises(storyhash.StoreError, match="shingle") as e:
        storyhash.Engine(db, shingle="word2")
    assert "char5" in str(e.value) and "leave `shingle` out to take the store's" in str(e.value)
    # A threshold whose bands differ is told the store's own, to match or to leave out.
    with pytest.raises(storyhash.StoreError) as e:
        storyhash.Engine(db, threshold=0.8)
    said = str(e.value)
    assert "but threshold=0.8 gives bands = " in said, said
    assert "leave `threshold` out to take the store's, give `bands` to match the store " \
        "(bands=(30, 4); its threshold is 0.5)" in said, said
    with storyhash.Engine(db, threshold=0.8, bands=(30, 4)) as matched:
        assert matched.settings["threshold"] == 0.8
    with pytest.raises(storyhash.StoreError, match="but `bands` gives bands = 16; leave `bands` out"):
        storyhash.Engine(db, bands=(16, 8))
    storyhash.Engine(db).close()  # the refused open left the store usable


@pytest.mark.parametrize(
    "settings, field",
    [
        ({"threshold": 1.5}, "threshold"),
        ({"shingle": "bigram"}, "shingle"),
        ({"permutations": 4}, "permutations"),
        ({"bands": (64, 4)}, "bands"),
        ({"bands": [64, 4]}, "bands"),  # a list, as JSON gives it, is read as the pair
        ({"linkage": "complete"}, "linkage"),
        ({"window": "soon"}, "window"),
        ({"story_threshold": 0}, "story_threshold"),
        ({"story_gap": "soon"}, "story_gap"),
        ({"story_span": -1}, "story_span"),
        ({"story_gap_articles": 0}, "story_gap_articles"),
        ({"story_gap_articles": -5}, "story_gap_articles"),
        ({"story_gap_articles": 2**70}, "story_gap_articles"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**64}, "seed"),
        ({"permutations": -1}, "permutations"),
        ({"min_shingles": -3}, "min_shingles"),
        ({"bucket_cap": 2**80}, "bucket_cap"),
        # The right type, a value it cannot take.
        ({"threshold": 10**400}, "threshold"),
        ({"shingle": "char\udc805"}, "shingle"),
    ],
)
def test_a_setting_that_cannot_work_is_a_config_error_naming_it(settings, field):
    with pytest.raises(storyhash.ConfigError, match=f"`{field}`") as e:
        storyhash.Engine(**settings)
    assert isinstance(e.value, ValueError)


def test_an_integer_setting_of_another_type_is_a_type_error_and_batch_size_is_checked():
    with pytest.raises(TypeError, match="`permutations`: expected an integer, found str"):
        storyhash.Engine(permutations="128")
    with pytest.raises(TypeError, match="`seed`: expected an integer, found float"):
        storyhash.Engine(seed=1.5)
    # Every other setting of another type names itself too.
    for settings, said in [
        (dict(threshold="0.5"), "`threshold`: expected a number, found str"),
        (dict(story_threshold="0.2"), "`story_threshold`: expected a number, found str"),
        (dict(story_merge=[0.3]), "`story_merge`: expected a number, found list"),
        (dict(use_body=1), "`use_body`: expected True or False, found int"),
        (dict(shingle=5), "`shingle`: expected a str, found int"),
        (dict(linkage=b"best"), "`linkage`: expected a str, found bytes"),
        # A bool is no number here, though Python counts it an int: True is not a threshold of 1.0.
        (dict(threshold=True), "`threshold`: expected a number, found bool"),
        (dict(story_merge=False), "`story_merge`: expected a number, found bool"),
        # A sequence of another length is named with it.
        (dict(bands=(1, 2, 3)), "`bands`: expected \\(bands, rows\\), two integers, found tuple of 3"),
    ]:
        with pytest.raises(TypeError, match=said):
            storyhash.Engine(**settings)
    # None is a setting left out, as for the others.
    assert storyhash.Engine(linkage=None, story_threshold=None).settings["linkage"] == "best"
    engine = storyhash.Engine()
    for size in (0, -1):
        with pytest.raises(storyhash.ConfigError, match="`batch_size`"):
            engine.ingest_many([("a", ECB_1)], batch_size=size)
    assert engine.stats().articles == 0


def test_settings_lists_every_setting_the_engine_runs_with():
    engine = storyhash.Engine(story_gap="12h", story_gap_articles=500, bucket_cap=32, seed=7)
    settings = engine.settings
    assert settings["story_gap"] == 12 * 3600 and settings["story_span"] == 7 * 86400
    assert settings["story_gap_articles"] == 500 and settings["bucket_cap"] == 32
    assert settings["seed"] == 7 and settings["min_shingles"] == 3 and settings["story_merge"] == 0.3
    assert {"threshold", "shingle", "permutations", "bands", "use_body", "window", "story_threshold",
            "linkage", "max_field_bytes"} <= settings.keys()


class Index:
    """An integer type of another library (as NumPy's `int64`): an int only through `__index__`."""

    def __init__(self, n):
        self.n = n

    def __index__(self):
        return self.n


def test_integers_of_other_types_are_read_as_integers():
    engine = storyhash.Engine(seed=Index(7), bucket_cap=Index(32))
    assert engine.settings["seed"] == 7
    v = engine.ingest(Index(42), ECB_1, published=Index(1394469125))
    assert v.id == "42" and engine.get("42").published == "1394469125"
    assert engine.trending(Index(1394469000))[0].size == 1
    assert engine.prune(datetime.date(2014, 3, 10)) == 0 and engine.prune(datetime.date(2014, 3, 11)) == 1


def test_a_time_in_microseconds_or_nanoseconds_is_read_as_such():
    engine = storyhash.Engine()
    for unit, number in [("us", 1394469125_000_000), ("ns", 1394469125_123_456_789)]:
        engine.ingest(unit, f"{ECB_1} {unit}", published=number)
        member = engine.cluster(engine.get(unit).cluster).members[-1]
        assert member.time == datetime.datetime(2014, 3, 10, 16, 32, 5, tzinfo=datetime.timezone.utc)
    assert engine.stats().unreadable_times == 0


def test_an_integer_id_is_its_value_in_decimal():
    import enum

    class Desk(enum.IntEnum):
        WORLD = 7

    engine = storyhash.Engine()
    assert engine.ingest(Desk.WORLD, ECB_1).id == "7"
    big = 10**40 + 1
    assert engine.ingest(big, PORTUGAL).id == str(big)


def test_an_integer_id_past_python_s_digit_limit_is_refused_naming_the_field():
    import sys

    big = 10**5000
    if not hasattr(sys, "set_int_max_str_digits"):
        # An interpreter without the limit (before 3.10.7) writes any integer.
        assert storyhash.Engine().ingest(big, "t").id == str(big)
        return
    kept = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(4300)
    try:
        engine = storyhash.Engine()
        with pytest.raises(storyhash.ArticleError, match="`id`: an integer Python will not write"):
            engine.ingest(big, "t")
        assert engine.stats().articles == 0
    finally:
        sys.set_int_max_str_digits(kept)


def test_ingest_many_shows_its_own_parameters():
    import inspect

    engine = storyhash.Engine()
    assert list(inspect.signature(engine.ingest_many).parameters) == ["items", "batch_size", "fields"]


def test_a_string_of_digits_is_no_point_in_time():
    engine = storyhash.Engine()
    with pytest.raises(storyhash.ConfigError, match="`since`.*no unit"):
        engine.trending("1700000000")
    # The number is that Unix time; the string with its unit an age.
    engine.ingest("old", ECB_1, published=1_600_000_000)
    engine.ingest("new", PORTUGAL)
    assert [t.size for t in engine.trending(1_500_000_000)] == [1, 1]
    assert [t.representative for t in engine.trending("3600s")] == [PORTUGAL]
    # A number of seconds that names a day before 2001 is most likely an age: refused, nothing pruned.
    with pytest.raises(storyhash.ConfigError, match=r"`before`: 2592000 is read as Unix seconds, 1970-01-31"):
        engine.prune(30 * 86400)
    assert engine.stats().articles == 2 and len(engine.trending(0)) == 2


def test_a_prune_by_age_keeps_at_least_a_minute():
    # As `storyhash prune --older-than` asks: "30s" for "30d" would empty the store. A time is taken as
    # given, and a short age still serves `trending`.
    engine = storyhash.Engine()
    engine.ingest("a", ECB_1)
    for age in ["30s", "0min", datetime.timedelta(0), datetime.timedelta(seconds=59)]:
        with pytest.raises(storyhash.ConfigError,
                           match=r"invalid argument `before`: .* would prune every article .* least a minute"):
            engine.prune(age)
    # "6m" reads as six minutes, most often six months meant.
    for months in ["6m", "6 m"]:
        with pytest.raises(storyhash.ConfigError, match=r"reads as 6 minutes, .*\(180d for 6\)"):
            engine.prune(months)
    with pytest.raises(storyhash.ConfigError, match=r"`30 days` is not a duration; write 30d"):
        engine.prune("30 days")
    # A word that begins as a month or a year does is no such unit.
    with pytest.raises(storyhash.ConfigError, match=r"invalid argument `before`: `yesterday` is not a duration"):
        engine.prune("yesterday")
    assert engine.stats().articles == 1
    assert engine.prune("1min") == 0 and engine.prune(datetime.timedelta(minutes=1)) == 0
    assert len(engine.trending("30s")) == 1
    assert engine.prune(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)) == 1


def test_a_window_or_story_time_in_minutes_written_m_is_refused_as_months_may_be_meant():
    for keyword in ["window", "story_gap", "story_span"]:
        with pytest.raises(storyhash.ConfigError, match=rf"`{keyword}`.*`6m` is refused: it reads as 6 "
                                                        r"minutes, .* write 6min for minutes, or days"):
            storyhash.Engine(**{keyword: "6m"})
    assert storyhash.Engine(window="90min").settings["window"] == 5_400


def test_a_datetime_python_cannot_place_names_the_argument(monkeypatch):
    # A naive datetime.min east of UTC falls before year 1, which Python's timestamp() refuses.
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        engine = storyhash.Engine()
        for call, name in [(engine.prune, "before"), (engine.trending, "since")]:
            with pytest.raises(storyhash.ConfigError, match=f"`{name}`: year 0 is out of range"):
                call(datetime.datetime.min)
        # An article's time too, saying what to give instead.
        with pytest.raises(storyhash.ArticleError, match="`published`.*tzinfo=timezone.utc"):
            engine.ingest("a", ECB_1, published=datetime.datetime.min)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_duration_written_without_its_unit_is_refused():
    for setting in ["window", "story_gap", "story_span"]:
        with pytest.raises(storyhash.ConfigError, match=f"`{setting}`.*`7` has no unit"):
            storyhash.Engine(**{setting: "7"})
    # A number is seconds, as the docs say; a string carries its unit.
    assert storyhash.Engine(window=7).settings["window"] == storyhash.Engine(window="7s").settings["window"]
    # A time or an age given as digits alone: a few are an age, whose units are suggested (and taken);
    # ten are Unix seconds, to be passed as a number.
    engine = storyhash.Engine()
    for call, name in [(engine.prune, "before"), (engine.trending, "since")]:
        with pytest.raises(storyhash.ConfigError, match=f'`{name}`: `30` has no unit: pass an age with its unit \\("30d"') as refused:
            call("30")
        # Each unit suggested is one the call takes: a prune keeps at least a minute.
        for suggested in re.findall(r'"(30[a-z]+)"', str(refused.value)):
            call(suggested)
        call("30d")
        with pytest.raises(storyhash.ConfigError, match=r"`1767225600` has no unit: pass Unix seconds as a number \(1767225600\)"):
            call("1767225600")
        call(1767225600)


def test_a_story_ends_after_its_gap():
    fire = "Wildfire forces evacuations near Los Angeles"
    later = "Los Angeles wildfire evacuations lifted"
    by_default = storyhash.Engine()
    a = by_default.ingest("a", fire, published="2025-06-01T00:00:00Z")
    b = by_default.ingest("b", later, published="2025-06-03T00:00:00Z")
    assert a.story != b.story  # two quiet days end the story
    patient = storyhash.Engine(story_gap=datetime.timedelta(days=3))
    a = patient.ingest("a", fire, published="2025-06-01T00:00:00Z")
    b = patient.ingest("b", later, published="2025-06-03T00:00:00Z")
    assert a.story == b.story


def test_overview_counts_the_stories_and_the_span_of_what_is_held():
    fire = "Wildfire forces evacuations near Los Angeles"
    later = "Los Angeles wildfire evacuations lifted"
    engine = storyhash.Engine(story_gap=datetime.timedelta(days=3))
    assert engine.overview() == {
        "articles": 0, "clusters": 0, "stories": 0, "oldest": None, "newest": None,
    }
    engine.ingest("a", fire, published="2025-06-01T00:00:00Z")
    engine.ingest("b", later, published="2025-06-03T00:00:00Z")
    engine.ingest("c", PORTUGAL, published="2025-06-02T00:00:00Z")
    utc = datetime.timezone.utc
    assert engine.overview() == {
        "articles": 3,
        "clusters": 3,
        "stories": 2,  # the two wildfire headlines are one story
        "oldest": datetime.datetime(2025, 6, 1, tzinfo=utc),
        "newest": datetime.datetime(2025, 6, 3, tzinfo=utc),
    }
    engine.remove("c")
    overview = engine.overview()
    assert (overview["articles"], overview["stories"]) == (2, 1)


def test_without_times_a_story_can_end_by_the_count_of_articles():
    fire = "Wildfire forces evacuations near Los Angeles"
    later = "Los Angeles wildfire evacuations grow as winds rise"
    others = [(f"o{n}", f"Council {n} approves budget for district {n}") for n in range(30)]
    for count, together in [(None, True), (20, False), (40, True)]:
        engine = storyhash.Engine(story_gap_articles=count)
        first = engine.ingest("a", fire)
        engine.ingest_many(others)
        assert (engine.ingest("b", later).story == first.story) == together, count


def test_a_window_keeps_old_articles_apart():
    engine = storyhash.Engine(window=datetime.timedelta(days=7))
    assert engine.settings["window"] == 7 * 86400
    engine.ingest("old", ECB_1, published="2013-01-01")
    assert engine.ingest("new", ECB_2, published="2014-03-10").status == "new"


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda e: e.ingest("", ECB_1), storyhash.ArticleError, "`id` is empty"),
        (lambda e: e.ingest("x", "   "), storyhash.ArticleError, "`title` is empty"),
        (lambda e: e.ingest("a", PORTUGAL), storyhash.ArticleError, "already stored with a different text"),
        (lambda e: e.ingest("x", "t" * 2000), storyhash.ArticleError, "`title` is 2000 bytes"),
        (lambda e: e.ingest("x", 5), TypeError, "`title`: expected a string, found int"),
        (lambda e: e.ingest(1.5, "t"), TypeError, "`id`: expected a string or an integer"),
        (lambda e: e.ingest("x", "t", source=3), TypeError, "`source`"),
        (lambda e: e.ingest("x", "t", body=float("nan")), TypeError, "`body`.*NaN, pandas' missing value"),
        (lambda e: e.ingest("x", "t", published=True), TypeError, "`published`"),
        (lambda e: e.ingest("x", "t", published=float("nan")), storyhash.ArticleError,
         "`published` is NaN, not a time .NaN, pandas' missing value"),
        (lambda e: e.ingest("x", "t", published=float("-inf")), storyhash.ArticleError, "`published` is -inf, not a time"),
        (lambda e: e.ingest_many({"id": "x", "title": "t"}), TypeError, "not one record: pass a list"),
        (lambda e: e.ingest_many(("x", "t")), TypeError, "not one record: pass a list"),
        (lambda e: e.ingest_many(pathlib.Path("crawl.jsonl")), TypeError, "not a path: .*pass the open file"),
        (lambda e: e.ingest("x", "\ud800 lone surrogate"), storyhash.ArticleError, "not valid Unicode"),
        (lambda e: e.query("a", PORTUGAL), storyhash.ArticleError, "already stored"),
        (lambda e: e.prune(object()), TypeError, "`before`"),
        (lambda e: e.prune("30d\udc80"), storyhash.ConfigError, "`before`: not Unicode text"),
        (lambda e: e.trending(10**400), storyhash.ConfigError, "`since`"),
    ],
)
def test_bad_input_raises_the_right_exception_and_the_engine_stays_usable(tmp_path, call, error, message):
    with storyhash.Engine(tmp_path / "db", max_field_bytes=1000) as engine:
        first = engine.ingest("a", ECB_1)
        with pytest.raises(error, match=message):
            call(engine)
        assert engine.stats().articles == 1
        assert engine.ingest("b", ECB_2).cluster == first.cluster
    with storyhash.Engine(tmp_path / "db") as again:
        assert again.stats().articles == 2


def test_a_pandas_frame_with_a_missing_time_is_told_how_to_pass_it():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "title": [ECB_1, PORTUGAL],
            "published": [pd.Timestamp("2014-03-10", tz="UTC"), pd.NaT],
        }
    )
    engine = storyhash.Engine()
    with pytest.raises(storyhash.ArticleError, match=r"`published` is NaT, not a time \(pandas' missing time\?"):
        engine.ingest_many(frame.to_dict("records"))
    # The way the message gives.
    fixed = frame.astype(object).where(frame.notna(), None)
    verdicts = engine.ingest_many(fixed.to_dict("records"))
    assert [v.id for v in verdicts] == ["a", "b"]
    assert engine.get("b").published is None
    # The missing value of pandas' nullable types, pd.NA, is told the same.
    with pytest.raises(TypeError, match=r"found NAType \(pandas' missing value\? give None"):
        engine.ingest("c", ECB_1, published=pd.NA)


def test_a_pandas_frame_given_whole_or_by_rows_is_told_how_to_pass_it():
    import pandas as pd

    frame = pd.DataFrame({"id": ["a", "b"], "title": [ECB_1, PORTUGAL]})
    engine = storyhash.Engine()
    with pytest.raises(TypeError, match=r"a pandas DataFrame iterates its column names, not its rows: "
                                        r"give `df.to_dict\(\"records\"\)`"):
        engine.ingest_many(frame)
    for rows in (frame.iterrows(), frame.values):
        with pytest.raises(TypeError, match=r"found (Series|ndarray) \(a pandas frame's rows\? give "
                                            r"`df.to_dict\(\"records\"\)`\)"):
            engine.ingest_many(rows)
    assert [v.id for v in engine.ingest_many(frame.to_dict("records"))] == ["a", "b"]


def test_what_the_engine_answers_goes_to_json_as_a_dict():
    engine = storyhash.Engine()
    engine.ingest("a", ECB_1, source="Reuters", published="2014-03-10T16:55:01Z")
    engine.ingest("b", ECB_2, published="2014-03-10T17:00:00Z")
    stored = json.loads(json.dumps(engine.get("b").as_dict()))
    assert stored == {"id": "b", "title": ECB_2, "body": None, "source": None, "url": None,
                      "published": "2014-03-10T17:00:00Z", "cluster": 0, "story": 0,
                      "status": "near_duplicate", "duplicate_of": "a",
                      "similarity": engine.get("b").similarity}
    [cluster] = engine.clusters()
    assert json.loads(json.dumps(cluster.as_dict())) == {
        "id": 0, "size": 2, "representative": ECB_1, "members": ["a", "b"]}
    group = json.loads(json.dumps(engine.cluster(0).as_dict()))
    assert (group["first_seen"], group["last_seen"], group["sources"]) == (
        "2014-03-10T16:55:01Z", "2014-03-10T17:00:00Z", ["Reuters"])
    assert group["members"][0] == {"id": "a", "title": ECB_1, "source": "Reuters", "url": None,
                                   "time": "2014-03-10T16:55:01Z"}
    assert engine.cluster(0).members[1].as_dict()["time"] == "2014-03-10T17:00:00Z"
    [trend] = engine.trending(datetime.datetime(2014, 3, 10, tzinfo=datetime.timezone.utc))
    assert json.loads(json.dumps(trend.as_dict())) == {
        "id": 0, "story": 0, "growth": 2, "size": 2, "representative": ECB_1,
        "last_seen": "2014-03-10T17:00:00Z"}
    assert "story=0" in repr(trend)


def test_a_numpy_time_is_read_as_utc():
    import numpy as np
    import pandas as pd

    times = pd.Series(pd.to_datetime(["2014-03-10 16:55:01", "2014-03-11 00:00:00"])).to_numpy()
    engine = storyhash.Engine()
    engine.ingest("a", ECB_1, published=times[0])
    engine.ingest_many([{"id": "b", "title": PORTUGAL, "published": times[1]},
                        ("c", ECB_2)])
    assert engine.get("a").published == "2014-03-10T16:55:01Z"
    assert engine.get("b").published == "2014-03-11T00:00:00Z"
    assert engine.stats().unreadable_times == 0
    with pytest.raises(storyhash.ArticleError, match=r"`published` is NaT, not a time \(pandas' missing time\?"):
        engine.ingest("d", ECB_1, published=np.datetime64("NaT"))
    assert engine.get("d") is None


def test_two_json_lines_in_a_tuple_are_two_records_even_after_a_byte_order_mark():
    lines = ('\ufeff{"id": "x", "title": "Fed holds rates steady"}', '{"id": "y", "title": "ECB cuts rates"}')
    assert [v.id for v in storyhash.Engine().ingest_many(lines)] == ["x", "y"]


def test_an_unreadable_time_is_counted_and_the_article_takes_its_arrival():
    engine = storyhash.Engine()
    engine.ingest("a", ECB_1, published="last tuesday")
    assert engine.stats().unreadable_times == 1
    # An article without a time is counted apart.
    engine.ingest("b", ECB_2)
    assert (engine.stats().unreadable_times, engine.stats().untimed) == (1, 1)
    assert engine.stats().as_dict()["untimed"] == 1


def test_ingest_many_matches_one_at_a_time_over_dicts_tuples_and_generators(sample):
    one = storyhash.Engine()
    expected = [one.ingest(r["id"], r["title"], source=r.get("source"), url=r.get("url"),
                           published=r.get("published")) for r in sample]
    many = storyhash.Engine()
    got = many.ingest_many((r for r in sample), batch_size=97)  # a generator, many chunks
    assert got == expected

    pairs = storyhash.Engine()
    by_pairs = pairs.ingest_many([(r["id"], r["title"]) for r in sample[:500]] +
                                 [[r["id"], r["title"]] for r in sample[500:1000]])
    plain = storyhash.Engine()
    assert by_pairs == [plain.ingest(r["id"], r["title"]) for r in sample[:1000]]
    assert many.ingest_many([]) == []

    # A page's few items at a time, as a crawler sends them: the same verdicts.
    paged = storyhash.Engine()
    by_page = [v for i in range(0, len(sample), 20) for v in paged.ingest_many(sample[i:i + 20])]
    assert by_page == expected


def test_ingest_many_reads_json_lines_as_bytes_or_str_without_json_loads(sample):
    SAMPLE = pathlib.Path(__file__).resolve().parents[2] / "data" / "uci-stories-dev.jsonl"
    expected = storyhash.Engine().ingest_many(sample)
    with open(SAMPLE, "rb") as lines:  # bytes, each with its line end
        assert storyhash.Engine().ingest_many(lines, batch_size=500) == expected
    with open(SAMPLE, encoding="utf-8") as lines:
        assert storyhash.Engine().ingest_many(lines) == expected
    # Mixed with dicts, and `published` as a JSON number.
    engine = storyhash.Engine()
    got = engine.ingest_many(['{"id": "n", "title": "Storm hits the coast", "published": 1700000000}',
                              {"id": "d", "title": "Storm hits the coast again"}])
    assert [v.id for v in got] == ["n", "d"] and engine.get("n").published is not None


def test_ingest_many_given_a_file_name_or_text_says_how_to_pass_a_file():
    engine = storyhash.Engine()
    line = b'{"id": "1", "title": "A"}\n'
    for given in ["crawl.jsonl", line, bytearray(line), memoryview(line)]:
        with pytest.raises(TypeError, match=r'open\(path, "rb"\)'):
            engine.ingest_many(given)
    assert engine.stats().articles == 0


def test_ingest_many_reads_any_mapping():
    class Item(collections.abc.Mapping):  # the shape of a scrapy.Item: a mapping, not a dict
        def __init__(self, **fields):
            self.fields = fields

        def __getitem__(self, key):
            return self.fields[key]

        def __iter__(self):
            return iter(self.fields)

        def __len__(self):
            return len(self.fields)

    engine = storyhash.Engine()
    got = engine.ingest_many([Item(id="a", title=ECB_1, source="Reuters"),
                              types.MappingProxyType({"id": "b", "title": ECB_2})])
    assert [v.status for v in got] == ["new", "near_duplicate"]
    assert engine.get("a").source == "Reuters"


def test_ingest_many_stops_at_a_bad_record_and_keeps_those_before_it(sample):
    records = sample[:300]
    bad = dict(records[250], title=None)
    engine = storyhash.Engine()
    with pytest.raises(TypeError, match=r"^record 250: field `title`: expected a string") as e:
        engine.ingest_many(records[:250] + [bad] + records[251:], batch_size=64)
    assert e.value.index == 250 and len(e.value.verdicts) == 250
    assert engine.stats().articles == 250
    assert engine.get(records[249]["id"]) is not None and engine.get(records[251]["id"]) is None

    # Resuming after the bad record gives what one clean run gives.
    rest = engine.ingest_many(records[251:])
    clean = storyhash.Engine().ingest_many(records[:250] + records[251:])
    assert e.value.verdicts + rest == clean


@pytest.mark.parametrize(
    "record, error, message",
    [
        ({"title": "no id"}, storyhash.ArticleError, "missing field `id`; the record's keys: title$"),
        ({"id": "x", "headline": "t"}, storyhash.ArticleError, "missing field `title`; the record's keys: headline, id$"),
        ({}, storyhash.ArticleError, "missing field `id`; the record has no keys$"),
        ({"id": "x", "title": ""}, storyhash.ArticleError, "`title` is empty"),
        ("just a string", TypeError, "pair or a JSON article object .*, found str `just a string`"),
        (b"[1, 2]\n", TypeError, "found bytes `\\[1, 2\\]`"),
        ('{"id": "x"}', storyhash.ArticleError, "missing field `title`"),
        (b'{"id": "x", "title": 5}\n', storyhash.ArticleError, "`title`"),
        (b'{"id": "x", "title": "t"', storyhash.ArticleError, "EOF while parsing"),
        (b'{"id": "x", "title": "caf\xe9"}', storyhash.ArticleError, "not UTF-8"),
        (("x", "t", "extra"), TypeError, "a sequence of 3"),
        ({"id": "x", "title": "t", "url": 5}, TypeError, "`url`"),
    ],
)
def test_ingest_many_names_the_record_and_the_field(record, error, message):
    engine = storyhash.Engine()
    with pytest.raises(error, match=message) as e:
        engine.ingest_many([("a", ECB_1), record, ("c", PORTUGAL)])
    # A record given as JSON text is most often a file's line, which a reader counts from 1.
    at = "record 1 (line 2 of a file): " if isinstance(record, (str, bytes)) else "record 1: "
    assert str(e.value).startswith(at) and e.value.index == 1
    assert [v.id for v in e.value.verdicts] == ["a"] and engine.get("c") is None


def test_a_pair_given_as_two_records_is_told_how_a_pair_goes_in():
    engine = storyhash.Engine()
    with pytest.raises(TypeError, match=r"found str `x` \(each record is one article: a pair goes in as one tuple, `\[\(id, title\), …\]`\)"):
        engine.ingest_many(["x", ECB_1])
    assert engine.stats().articles == 0
    assert [v.id for v in engine.ingest_many([("x", ECB_1)])] == ["x"]


def test_ingest_many_reports_an_id_conflict_found_while_deciding():
    engine = storyhash.Engine()
    engine.ingest("a", ECB_1)
    with pytest.raises(storyhash.ArticleError, match="^record 1: article `a` is already stored") as e:
        engine.ingest_many([("b", ECB_2), ("a", PORTUGAL), ("c", "Storm hits the coast")])
    assert e.value.index == 1 and [v.id for v in e.value.verdicts] == ["b"]
    # One chunk, decided on the calling thread: the record after the refused one comes back all the same.
    assert e.value.pending == [{"id": "c", "title": "Storm hits the coast"}]
    assert engine.get("a").title == ECB_1


def test_ingest_many_passes_on_an_error_raised_by_the_iterable_after_storing_what_came_before():
    def records():
        for i in range(7):
            yield (f"r{i}", f"{ECB_1} number {i}")
        raise ConnectionError("feed broke")

    engine = storyhash.Engine()
    with pytest.raises(ConnectionError, match="feed broke") as e:
        engine.ingest_many(records(), batch_size=3)
    assert e.value.index == 7 and [v.id for v in e.value.verdicts] == [f"r{i}" for i in range(7)]
    assert e.value.pending == [] and engine.stats().articles == 7


def test_ingest_many_hands_back_the_records_it_took_after_a_refused_one():
    engine = storyhash.Engine()
    engine.ingest("dup", ECB_1)
    pulled = []

    def feed():
        for i in range(100):
            record = ("dup", PORTUGAL) if i == 0 else (f"r{i}", f"Headline {i}: storm {i * 7919} hits")
            pulled.append(record)
            yield record

    records = feed()
    with pytest.raises(storyhash.ArticleError, match="^record 0: article `dup`") as e:
        engine.ingest_many(records, batch_size=10)
    assert e.value.index == 0 and e.value.verdicts == []
    # Every record taken after the refused one comes back, in order, as a dict of the fields read.
    assert e.value.pending == [{"id": i, "title": t} for i, t in pulled[1:]] and len(pulled) < 100
    rest = engine.ingest_many(e.value.pending + list(records))
    assert [v.id for v in rest] == [f"r{i}" for i in range(1, 100)]
    assert engine.stats().articles == 100 and engine.get("dup").title == ECB_1


def test_ingest_many_hands_back_the_fields_read_and_an_unreadable_record_as_given_after_a_refusal():
    engine = storyhash.Engine()
    engine.ingest("dup", ECB_1)
    unreadable = {"id": "bad", "tags": ["no title"]}
    records = [
        {"id": "r0", "title": "Storm hits the coast", "extra": 1},
        {"id": "dup", "title": PORTUGAL},
        {"id": "r2", "title": "Flood warnings across the north", "body": "Rivers rise.", "published": 1767225600},
        {"id": "r3", "title": "Markets fall on rate fears", "source": "wire", "url": "https://example.com/3"},
        unreadable,
        {"id": "never", "title": "Not taken"},
    ]
    taken = iter(records)
    with pytest.raises(storyhash.ArticleError, match="^record 1: article `dup`") as e:
        engine.ingest_many(taken, batch_size=2)
    assert e.value.index == 1 and [v.id for v in e.value.verdicts] == ["r0"]
    # The records taken after the refused one, as the engine read them (a time as its text), then the
    # record it could not read as it was given; nothing after that one was taken. How far the reading
    # had gone when the refusal was known depends on the threads' timing: the iterable goes on from the
    # first record not taken.
    read = [
        {"id": "r2", "title": "Flood warnings across the north", "body": "Rivers rise.", "published": "1767225600"},
        {"id": "r3", "title": "Markets fall on rate fears", "source": "wire", "url": "https://example.com/3"},
        unreadable,
    ]
    pending = e.value.pending
    assert pending == read[: len(pending)], pending
    assert next(taken) is records[2 + len(pending)]
    if len(pending) == 3:
        assert pending[-1] is unreadable
    readable = [p for p in pending if p is not unreadable]
    again = engine.ingest_many(readable + records[2 + len(readable) : 4])
    assert [v.id for v in again] == ["r2", "r3"]
    # Fed again, they are the articles they were: the same time, the same verdict for the same record.
    assert engine.get("r2").published == "1767225600" and engine.get("r3").url == "https://example.com/3"
    repeated = engine.ingest("r2", records[2]["title"], body="Rivers rise.", published=1767225600)
    assert repeated.repeat and repeated.as_dict() == {**again[0].as_dict(), "repeat": True}


def test_ingest_many_reads_each_field_from_the_key_fields_names():
    # A news API's export: the link is the id, the time is `fetched_at`, the body `description`.
    lines = [
        {"url": "https://a.example/1", "title": "Storm closes the harbour at Malmo",
         "description": "Ferries stay in port.", "fetched_at": "2026-01-04T10:00:00Z"},
        {"url": "https://b.example/2", "title": "Storm closes harbour at Malmo",
         "description": "Ferries stay in port.", "fetched_at": "2026-01-04T11:00:00Z"},
    ]
    fields = {"id": "url", "published": "fetched_at", "body": "description"}
    for given in (lines, [json.dumps(r).encode() for r in lines]):
        engine = storyhash.Engine()
        verdicts = engine.ingest_many(given, fields=fields)
        assert [v.id for v in verdicts] == ["https://a.example/1", "https://b.example/2"]
        assert verdicts[1].duplicate_of == "https://a.example/1"
        stored = engine.get("https://b.example/2")
        assert stored.published == "2026-01-04T11:00:00Z" and stored.body == "Ferries stay in port."
        # The key that feeds the id feeds the url too, as it is named.
        assert stored.url == "https://b.example/2"
        assert engine.stats().untimed == 0
    # A line without the key named for its id is refused, not numbered by its position.
    with pytest.raises(storyhash.ArticleError, match="missing field `url`, which the id is read from"):
        storyhash.Engine().ingest_many([b'{"link": "x", "title": "A headline"}'], fields=fields)
    with pytest.raises(storyhash.ArticleError, match="missing field `url`, which the id is read from"):
        storyhash.Engine().ingest_many([{"link": "x", "title": "A headline"}], fields=fields)
    # A value of the wrong type names the key it was read from, in a dict as in JSON text.
    for bad in ({"url": None, "title": "A headline"}, b'{"url": [1], "title": "A headline"}'):
        with pytest.raises((TypeError, storyhash.ArticleError), match="field `url`"):
            storyhash.Engine().ingest_many([bad], fields=fields)
    # A field that is none is named.
    with pytest.raises(storyhash.ConfigError, match="invalid argument `fields`: `link` is not a field"):
        storyhash.Engine().ingest_many(lines, fields={"link": "url"})
    with pytest.raises(TypeError, match="`fields`: expected a dict of field to key"):
        storyhash.Engine().ingest_many(lines, fields=["id", "url"])


def test_ingest_many_hands_back_pending_records_under_the_keys_fields_names():
    engine = storyhash.Engine()
    engine.ingest("https://a.example/1", ECB_1)
    records = [
        {"link": "https://a.example/1", "headline": PORTUGAL},
        {"link": "https://b.example/2", "headline": "Storm closes the harbour at Malmo"},
    ]
    fields = {"id": "link", "title": "headline"}
    with pytest.raises(storyhash.ArticleError, match="^record 0:") as e:
        engine.ingest_many(records, fields=fields)
    assert e.value.pending == [records[1]]
    # Fed again with the same fields, they read alike.
    again = engine.ingest_many(e.value.pending, fields=fields)
    assert [v.id for v in again] == ["https://b.example/2"]
    # A key that feeds the id and the url holds their one value; a line numbered for want of an id,
    # under a key that holds `null`, goes back with its number there, which it keeps when fed again.
    engine = storyhash.Engine()
    engine.ingest("dup", ECB_1)
    lines = [
        b'{"url": "dup", "title": "Portugal votes"}',
        b'{"url": "https://c.example/3", "title": "Markets fall on rate fears"}',
        b'{"url": null, "title": "Storm closes the harbour at Malmo"}',
    ]
    with pytest.raises(storyhash.ArticleError, match="^record 0:") as e:
        engine.ingest_many(lines, fields={"id": "url"})
    assert e.value.pending == [
        {"url": "https://c.example/3", "title": "Markets fall on rate fears"},
        {"url": "3", "title": "Storm closes the harbour at Malmo"},
    ]
    again = engine.ingest_many(e.value.pending, fields={"id": "url"})
    assert [v.id for v in again] == ["https://c.example/3", "3"]


def test_ingest_many_skips_blank_lines_and_a_byte_order_mark_as_the_cli_does(tmp_path, sample, cli):
    path = tmp_path / "crawl.jsonl"
    records = [dict(r, id=f"u{r['id']}") for r in sample[:200]]  # apart from line numbers
    # Without an id, or with a null one, a line's number is its id in both.
    del records[3]["id"], records[150]["id"]
    records[7]["id"] = None
    lines = [json.dumps(r) for r in records]
    path.write_bytes(("\ufeff" + "\n".join(lines[:100]) + "\n\n  \n" + "\n".join(lines[100:]) + "\n\n").encode())
    engine = storyhash.Engine()
    with open(path, "rb") as f:
        verdicts = engine.ingest_many(f)
    expected = [json.loads(line) for line in cli("dedupe", path).stdout.splitlines()]
    # The CLI writes the clusters and stories articles stand in at the end (a story may have merged).
    assert [(v.id, v.status, v.duplicate_of, engine.resolve(v.cluster), engine.resolve_story(v.story))
            for v in verdicts] == [(e["id"], e["status"], e["duplicate_of"], e["cluster"], e["story"])
                                   for e in expected]
    assert len(verdicts) == 200
    assert [verdicts[i].id for i in (3, 7, 150)] == ["4", "8", "153"]  # two blank lines before 150


def test_ingest_many_reads_a_dict_subclass_through_its_own_lookup():
    class Defaults(dict):
        def __missing__(self, key):
            if key == "title":
                return ECB_1
            raise KeyError(key)

    verdicts = storyhash.Engine().ingest_many([Defaults(id="a"), Defaults(id="b", title=PORTUGAL)])
    assert [v.id for v in verdicts] == ["a", "b"] and verdicts[0].status == "new"


def test_close_stops_an_ingest_many_in_another_thread_after_its_chunk_in_hand_and_releases_the_store(tmp_path):
    db = tmp_path / "news.db"
    engine = storyhash.Engine(db)
    raised = []

    def feed():
        for i in range(3000):
            if i == 100:
                # Two chunks in: hold the rest back until close() has begun.
                while not engine.closed:
                    time.sleep(0.001)
            yield (f"r{i}", f"Headline {i}: storm {i * 7919} hits the coast")

    def run():
        try:
            engine.ingest_many(feed(), batch_size=50)
        except ValueError as e:
            raised.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    while engine.stats().articles == 0:  # the first chunk is stored: the call is under way
        time.sleep(0.001)
    engine.close()
    # The call stopped after the chunk it was reading and stored it before close() returned, rather
    # than keeping close() waiting for the whole iterable; the store is free at once.
    with storyhash.Engine(db) as again:
        stored = again.stats().articles
    worker.join()
    (e,) = raised
    assert "closed while ingest_many ran" in str(e)
    # The chunks taken when close() began: two, or those and the third, which waited for it.
    assert e.index == stored == len(e.verdicts) and stored in (100, 150), (e.index, stored, len(e.verdicts))
    assert [v.id for v in e.verdicts] == [f"r{i}" for i in range(stored)] and e.pending == []
    with pytest.raises(ValueError, match="closed"):
        engine.ingest("late", ECB_1)


def test_close_from_inside_a_call_of_the_same_engine_is_refused():
    engine = storyhash.Engine()

    def feed():
        yield ("a", ECB_1)
        engine.close()

    with pytest.raises(RuntimeError, match="inside a call of the same engine"):
        engine.ingest_many(feed())
    assert not engine.closed and engine.get("a") is not None


def test_verdicts_stats_and_errors_survive_pickling():
    engine = storyhash.Engine()
    a, b = engine.ingest("a", ECB_1), engine.ingest("b", ECB_2)
    repeated = engine.ingest("a", ECB_1)
    assert pickle.loads(pickle.dumps([a, b, repeated])) == [a, b, repeated]
    assert {a, b, pickle.loads(pickle.dumps(a))} == {a, b}
    assert repeated != a and storyhash.Verdict(**repeated.as_dict()) == repeated
    # A verdict made by hand is one the engine could give.
    with pytest.raises(ValueError, match="similarity 2 is not"):
        storyhash.Verdict("c", "near_duplicate", 0, 0, "a", 2.0, 2)
    assert engine.stats() == engine.stats() and engine.stats() != storyhash.Engine().stats()
    error = storyhash.StoreError("cannot write: disk full")
    error.errno, error.strerror = errno.ENOSPC, os.strerror(errno.ENOSPC)
    again = pickle.loads(pickle.dumps(error))
    assert (again.errno, again.strerror, str(again)) == (errno.ENOSPC, error.strerror, str(error))


def test_a_negative_id_or_limit_is_a_value_error_naming_the_argument():
    engine = storyhash.Engine()
    engine.ingest("a", ECB_1)
    for name, call in [("id", lambda: engine.cluster(-1)), ("limit", lambda: engine.story(0, limit=-1)),
                       ("offset", lambda: engine.cluster(0, offset=-1)),
                       ("min_size", lambda: engine.clusters(min_size=-1)),
                       ("limit", lambda: engine.trending(limit=-1)), ("cluster", lambda: engine.resolve(-1)),
                       ("story", lambda: engine.resolve_story(-2))]:
        with pytest.raises(ValueError, match=f"^`{name}`: -[12] is negative"):
            call()
    with pytest.raises(TypeError, match="^`id`: expected a whole number from 0, found str"):
        engine.cluster("0")
    assert engine.cluster(2**70) is None and engine.cluster(0, limit=2**80).size == 1
    # An id no group ever had resolves to itself, however large.
    assert engine.resolve(999) == 999 and engine.resolve(2**64) == 2**64
    assert engine.resolve_story(2**80) == 2**80


def test_reprs_show_text_as_python_writes_it():
    engine = storyhash.Engine()
    texts = {"café-1": "Zürich: Börse schließt höher", "q": "It's a \"quoted\" title\tand a tab"}
    for id_, title in texts.items():
        engine.ingest(id_, title, source="Straße")
    for id_, title in texts.items():
        verdict = engine.query(id_, title)
        article = engine.get(id_)
        assert f"id={id_!r}" in repr(verdict) and f"id={id_!r}" in repr(article)
        assert f"title={title!r}" in repr(article)
        member = engine.cluster(article.cluster).members[0]
        assert f"title={title!r}" in repr(member) and "source='Straße'" in repr(member)
    assert "representative='Zürich: Börse schließt höher'" in repr(engine.clusters())


def test_every_answer_compares_by_value_and_survives_pickling_and_copying():
    engine = storyhash.Engine()
    engine.ingest("a", ECB_1, source="Reuters", url="https://example.com/a",
                  published="2014-03-10T16:00:00Z")
    engine.ingest("b", ECB_2, published="2014-03-10T17:00:00Z")
    answers = [engine.get("a"), engine.cluster(0), engine.story(0), engine.clusters()[0],
               engine.trending(0)[0], engine.stats(), engine.cluster(0).members[0],
               engine.cluster(0).members[1]]
    # A member's time reads in its repr as the datetime the attribute is.
    member = engine.cluster(0).members[0]
    assert repr(member.time) in repr(member) and "time=datetime.datetime(2014, 3, 10, 16, 0" in repr(member)
    for answer in answers:  # sent to another process, kept in a cache, copied
        assert pickle.loads(pickle.dumps(answer)) == answer, answer
        assert copy.deepcopy(answer) == answer and copy.copy(answer) == answer
    rebuilt = pickle.loads(pickle.dumps(engine.cluster(0)))
    assert [m.time for m in rebuilt.members] == [m.time for m in engine.cluster(0).members]
    assert [m.url for m in rebuilt.members] == ["https://example.com/a", None]
    assert engine.get("a") == engine.get("a") and engine.get("a") != engine.get("b")
    # Verdicts hash (a set of them is usual); the other answers compare by value only, as the stub says.
    with pytest.raises(TypeError, match="unhashable"):
        hash(engine.get("a"))


def test_threads_share_one_engine(tmp_path, sample):
    db = tmp_path / "shared.db"
    engine = storyhash.Engine(db)
    slices = [sample[i::4] for i in range(4)]
    verdicts, errors = {}, []

    def writer(records, many):
        try:
            if many:
                got = engine.ingest_many(records, batch_size=50)
            else:
                got = [engine.ingest(r["id"], r["title"], published=r["published"]) for r in records]
            for v in got:
                verdicts[v.id] = v
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def reader():
        try:
            for r in sample[:300]:
                engine.query("q-" + r["id"], r["title"])
                engine.stats()
                engine.get(r["id"])
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(s, i % 2 == 0)) for i, s in enumerate(slices)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(verdicts) == len(sample) and engine.stats().articles == len(sample)
    # Every article stands in exactly one cluster, and each cluster lists the articles that say so.
    members = {m: c.id for c in engine.clusters() for m in c.members}
    assert len(members) == len(sample)
    for r in sample:
        stored = engine.get(r["id"])
        assert members[r["id"]] == stored.cluster == engine.resolve(verdicts[r["id"]].cluster)
        if stored.duplicate_of is not None:
            assert members[stored.duplicate_of] == stored.cluster
    engine.close()
    with storyhash.Engine(db) as again:
        assert {m: c.id for c in again.clusters() for m in c.members} == members


def test_help_describes_the_api():
    assert "sled store" in storyhash.Engine.__doc__
    assert "batch_size" in storyhash.Engine.ingest_many.__doc__
    assert "published" in storyhash.Engine.ingest.__doc__
    assert issubclass(storyhash.ArticleError, ValueError) and issubclass(storyhash.ConfigError, ValueError)
    assert issubclass(storyhash.StoreError, OSError)


def test_the_examples_in_the_docstrings_hold():
    results = doctest.testmod(storyhash)
    assert results.attempted >= 5 and results.failed == 0


def _exit_code_of_forked(child, timeout=20.0):
    """Runs ``child()`` in a forked process and returns the exit code it gives ``os._exit``; a child
    still running after ``timeout`` seconds is killed, and the call fails."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            code = child()
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail(f"the forked child was still running after {timeout} s")
        time.sleep(0.02)


@pytest.mark.parametrize("with_store", [False, True])
def test_an_engine_used_in_a_forked_process_says_so_rather_than_waiting_for_ever(tmp_path, with_store):
    engine = storyhash.Engine(tmp_path / "db") if with_store else storyhash.Engine()
    engine.ingest_many([(str(i), f"Headline {i} about topic {i * 7}") for i in range(1000)], batch_size=100)

    def child():
        try:
            engine.ingest("c1", "A headline ingested in the child")
        except RuntimeError as e:
            if "forked" not in str(e) or "spawn" not in str(e):
                return 2
        else:
            return 1
        # Closing the child's copy lets it go without writing the parent's store.
        engine.close()
        return 0

    assert _exit_code_of_forked(child) == 0
    # The parent's engine goes on, and its store holds what it acknowledged.
    assert engine.ingest("p1", "A headline ingested in the parent").status == "new"
    assert engine.stats().articles == 1001
    if with_store:
        engine.close()
        with storyhash.Engine(tmp_path / "db") as reopened:
            assert reopened.stats().articles == 1001


def test_an_engine_made_in_a_process_forked_after_one_was_made_is_refused_not_waited_for(tmp_path):
    # The engine's threads (its pool, a store's writers) do not survive a fork: an Engine made in the
    # child, on a store or in memory, waited for ever on them.
    storyhash.Engine(tmp_path / "first").close()
    storyhash.Engine().ingest_many([(str(i), f"Headline {i} about topic {i * 7}") for i in range(5000)],
                                   batch_size=500)

    def child():
        for path in [tmp_path / "second", None]:
            try:
                storyhash.Engine(path)
            except RuntimeError as e:
                if "forked from process" not in str(e) or "spawn" not in str(e):
                    return 2
            else:
                return 1
        return 0

    assert _exit_code_of_forked(child) == 0
    # The parent opens stores as before.
    with storyhash.Engine(tmp_path / "second") as engine:
        assert engine.ingest("p1", "A headline ingested in the parent").status == "new"


@pytest.mark.parametrize("batch_size", [1_000_000, 5_000])
def test_ctrl_c_during_ingest_many_carries_the_verdicts_of_what_it_stored(batch_size):
    # One chunk is read whole, then decided without the interpreter: a Ctrl-C then came out as a bare
    # KeyboardInterrupt as the call returned, its verdicts lost though every record was stored.
    engine = storyhash.Engine()
    records = [(str(i), f"Headline {i} about topic {i * 7} in the city of {i % 97}") for i in range(60_000)]
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as raised:
            engine.ingest_many(records, batch_size=batch_size)
    finally:
        timer.cancel()
    e = raised.value
    stored = engine.stats().articles
    assert len(e.verdicts) == stored and e.index == stored, (e.index, len(e.verdicts), stored)
    assert [v.id for v in e.verdicts] == [r[0] for r in records[:stored]]
    assert e.pending == []


def test_lines_without_ids_in_a_second_call_that_repeat_an_earlier_call_s_line_numbers_say_why():
    engine = storyhash.Engine()
    engine.ingest_many([b'{"title": "Storm hits the coast of Portugal overnight"}\n'])
    with pytest.raises(storyhash.ArticleError) as raised:
        engine.ingest_many([b'{"title": "Parliament passes the budget after a long night"}\n'])
    said = str(raised.value)
    assert said.startswith("record 0: ") and "takes its line number" in said, said
    # An id of the caller's own that clashes gets no such hint, even one equal to its line number.
    with pytest.raises(storyhash.ArticleError) as raised:
        engine.ingest_many([("x", "Markets fall again"), ("x", "Markets rise again")])
    assert "line number" not in str(raised.value)
    for given in ([(1, "Other headline about gas")], [{"id": 1, "title": "Other headline about gas"}],
                  ['{"id": 1, "title": "Other headline about gas"}']):
        with pytest.raises(storyhash.ArticleError) as raised:
            engine.ingest_many(given)
        assert "already stored" in str(raised.value) and "line number" not in str(raised.value), given


def test_an_id_that_a_record_without_one_took_in_the_same_call_names_that_record():
    engine = storyhash.Engine()
    with pytest.raises(storyhash.ArticleError) as raised:
        engine.ingest_many([b'{"id": "a", "title": "Storm hits the coast of Portugal overnight"}\n',
                            b'{"title": "Parliament passes the budget after a long night"}\n',
                            b'{"id": "2", "title": "Markets fall again on rate fears"}\n'])
    said = str(raised.value)
    assert said.startswith("record 2: ") and "(record 1, line 2 of a file, has no `id` and took its line number" \
        in said, said
    # A record without an id that repeats an article given that id before took nothing: no such hint.
    engine = storyhash.Engine()
    with pytest.raises(storyhash.ArticleError) as raised:
        engine.ingest_many([b'{"id": "2", "title": "Parliament passes the budget after a long night"}\n',
                            b'{"title": "Parliament passes the budget after a long night"}\n',
                            b'{"id": "2", "title": "Markets fall again on rate fears"}\n'])
    assert "line number" not in str(raised.value), str(raised.value)
