"""The Scrapy pipeline, called as Scrapy calls it (no network)."""

import asyncio
import warnings
from typing import Any

import pytest
import scrapy
from scrapy.exceptions import DropItem, ScrapyDeprecationWarning
from scrapy.loader import ItemLoader
from scrapy.pipelines import ItemPipelineManager
from scrapy.utils.test import get_crawler

import storyhash
from storyhash.scrapy import DedupePipeline

ECB_1 = {"url": "http://a/1", "title": "ECB unlikely to end sterilisation of SMP purchases - traders"}
ECB_2 = {"url": "http://b/2", "title": "ECB unlikely to end sterilization of SMP purchases: traders"}
OTHER = {"url": "http://c/3", "title": "Portugal's Democratic Alliance Stands Firm on Governance"}


def pipeline(**settings):
    crawler = get_crawler(settings_dict=settings)
    p = DedupePipeline.from_crawler(crawler)
    p.open_spider()
    return p, crawler


def a_later_pipeline_fails_on(crawler, item):
    """Scrapy's scraper saying that a pipeline after this one raised on `item`."""
    from scrapy import signals
    from twisted.python.failure import Failure

    try:
        raise ConnectionError("database down")
    except ConnectionError:
        failure = Failure()
    crawler.signals.send_catch_log(signal=signals.item_error, item=item, response=None,
                                   spider=None, failure=failure)
    return failure


def test_a_near_duplicate_is_dropped_naming_the_earlier_item_and_a_new_one_passes(tmp_path):
    p, crawler = pipeline(STORYHASH_DB=str(tmp_path / "news.db"))
    first = p.process_item(dict(ECB_1))
    assert first["cluster"] == 0 and "story" in first
    with pytest.raises(DropItem, match="near-duplicate of item 'http://a/1'"):
        p.process_item(dict(ECB_2))
    kept = p.process_item(dict(OTHER))
    assert kept["cluster"] != first["cluster"]
    p.close_spider()
    stats = crawler.stats.get_stats()
    assert stats["storyhash/new"] == 2 and stats["storyhash/dropped"] == 1
    # An item after the close is refused rather than opening the store again with nothing to close it.
    with pytest.raises(RuntimeError, match="after close_spider"):
        p.process_item({"url": "http://late/1", "title": "A late item"})
    with storyhash.Engine(tmp_path / "news.db") as engine:  # the store is free
        assert engine.get("http://late/1") is None
    # The store outlives the crawl: the next one drops a repeat of the first.
    p, _ = pipeline(STORYHASH_DB=str(tmp_path / "news.db"))
    with pytest.raises(DropItem, match="of item 'http://a/1'"):
        p.process_item({"url": "http://d/4", "title": ECB_1["title"] + " "})
    p.close_spider()


def test_an_item_yielded_again_is_a_repeat_in_this_crawl_and_the_next(tmp_path):
    p, crawler = pipeline(STORYHASH_DB=str(tmp_path / "news.db"))
    p.process_item(dict(ECB_1))
    with pytest.raises(DropItem, match="repeat of item 'http://a/1'"):
        p.process_item(dict(ECB_1))
    p.close_spider()
    stats = crawler.stats.get_stats()
    assert stats["storyhash/new"] == 1 and stats["storyhash/repeat"] == 1
    assert stats["storyhash/dropped"] == 1
    # The next crawl of the same feed: the item is stored already.
    p, crawler = pipeline(STORYHASH_DB=str(tmp_path / "news.db"))
    with pytest.raises(DropItem, match="repeat"):
        p.process_item(dict(ECB_1))
    p.close_spider()
    # Without dropping, a repeat is annotated with its verdict as it stands.
    p, crawler = pipeline(STORYHASH_DB=str(tmp_path / "news.db"), STORYHASH_DROP=False)
    again = p.process_item(dict(ECB_1))
    assert again["cluster"] == 0
    p.close_spider()
    assert crawler.stats.get_stats()["storyhash/repeat"] == 1
    assert "storyhash/new" not in crawler.stats.get_stats()
    # Nor with repeats passed on: a crawl killed before its feed was written left its items stored.
    p, crawler = pipeline(STORYHASH_DB=str(tmp_path / "news.db"), STORYHASH_DROP_REPEATS=False)
    again = p.process_item(dict(ECB_1))
    assert again["cluster"] == 0
    with pytest.raises(DropItem, match="near-duplicate of item 'http://a/1'"):
        p.process_item(dict(ECB_2))
    p.close_spider()
    assert crawler.stats.get_value("storyhash/repeat") == 1
    # A repeat of an item stored as a duplicate of another is dropped as such again.
    p, crawler = pipeline(STORYHASH_DB=str(tmp_path / "news.db"), STORYHASH_DROP_REPEATS=False)
    assert p.process_item(dict(ECB_1))["cluster"] == 0
    with pytest.raises(DropItem, match=r"near-duplicate of item 'http://a/1' \(similarity 0\.\d\d, cluster 0, "
                                       r"stored already\)"):
        p.process_item(dict(ECB_2))
    p.close_spider()
    assert crawler.stats.get_value("storyhash/repeat") == 2
    assert crawler.stats.get_value("storyhash/dropped") == 1


def test_an_item_a_later_pipeline_fails_on_is_removed_from_the_store_again(tmp_path, caplog):
    from scrapy import signals

    db = str(tmp_path / "news.db")
    p, crawler = pipeline(STORYHASH_DB=db)
    failed, exported = p.process_item(dict(ECB_1)), p.process_item(dict(OTHER))
    # Dropped as a duplicate of the item that fails: removed with it, or neither would reach the next
    # crawl's output (the failed one a near-duplicate of it there, and it a repeat).
    with pytest.raises(DropItem, match="near-duplicate of item 'http://a/1'"):
        p.process_item(dict(ECB_2))
    # Scrapy's scraper says how each item fared after the last pipeline.
    failure = a_later_pipeline_fails_on(crawler, failed)
    crawler.signals.send_catch_log(signal=signals.item_scraped, item=exported, response=None,
                                   spider=None)
    assert p.engine.get(ECB_1["url"]) is None
    assert p.engine.get(ECB_2["url"]) is None
    assert p.engine.get(OTHER["url"]) is not None
    assert crawler.stats.get_value("storyhash/unstored") == 2
    assert "'http://a/1' was removed from the store again, as a later pipeline failed on it " \
           "(database down)" in caplog.text
    assert "'http://b/2', dropped as a duplicate of 'http://a/1', was removed from the store again" \
           in caplog.text
    # Another error for an item it passed on already, or one it never stored, removes nothing.
    for item in (exported, dict(ECB_2)):
        crawler.signals.send_catch_log(signal=signals.item_error, item=item, response=None,
                                       spider=None, failure=failure)
    assert p.engine.get(OTHER["url"]) is not None
    p.close_spider()
    # The next crawl checks them afresh rather than dropping them as repeats.
    p, crawler = pipeline(STORYHASH_DB=db)
    assert p.process_item(dict(ECB_1))["cluster"] is not None
    with pytest.raises(DropItem, match="near-duplicate of item 'http://a/1'"):
        p.process_item(dict(ECB_2))
    assert crawler.stats.get_value("storyhash/new") == 1
    assert crawler.stats.get_value("storyhash/repeat") is None
    p.close_spider()


def test_a_bad_engine_setting_stops_the_crawl_naming_the_setting():
    for settings, said in [
        ({"STORYHASH_THRESHOLD": 1.5}, r"setting STORYHASH_THRESHOLD=1.5: invalid setting `threshold`"),
        ({"STORYHASH_SHINGLE": "word9x"}, r"setting STORYHASH_SHINGLE='word9x': .*`shingle`"),
        ({"STORYHASH_BANDS": "16"}, r"setting STORYHASH_BANDS='16': .*\(bands and rows: '16,4' or \(16, 4\)\)"),
        ({"STORYHASH_WINDOW": "7"}, r"setting STORYHASH_WINDOW='7': invalid setting `window`: `7` has no unit"),
    ]:
        with pytest.raises(ValueError, match=said):
            DedupePipeline.from_crawler(get_crawler(settings_dict=settings))


def test_items_with_integer_ids_dropped_as_duplicates_of_a_failed_item_are_removed_with_it():
    p, crawler = pipeline(STORYHASH_ID_FIELD="n")
    failed = p.process_item({"n": 1, "title": ECB_1["title"]})
    with pytest.raises(DropItem, match="near-duplicate of item '1'"):
        p.process_item({"n": 2, "title": ECB_2["title"]})
    a_later_pipeline_fails_on(crawler, failed)
    assert p.engine.get(1) is None and p.engine.get(2) is None
    assert crawler.stats.get_value("storyhash/unstored") == 2
    p.close_spider()


def test_a_duration_setting_without_its_unit_is_refused():
    with pytest.raises(ValueError, match=r"STORYHASH_WINDOW=7 has no unit; write it with one \('7d'"):
        pipeline(STORYHASH_WINDOW=7)
    with pytest.raises(ValueError, match=r"STORYHASH_STORY_GAP=1.5 has no unit; write it with one \('7d', "):
        pipeline(STORYHASH_STORY_GAP=1.5)
    p, _ = pipeline(STORYHASH_WINDOW="7d", STORYHASH_STORY_GAP="36h")
    assert (p.engine.settings["window"], p.engine.settings["story_gap"]) == (7 * 86_400, 36 * 3_600)
    p.close_spider()


def test_an_item_crawled_again_with_its_body_edited_is_still_a_repeat():
    # Sites edit their pages' bodies; the item is the one stored, not a text its id conflicts with.
    first = {"url": "u1", "title": "Oil prices rise as supply tightens", "body": "As first crawled."}
    edited = dict(first, body="Updated later with a correction.")
    p, crawler = pipeline(STORYHASH_BODY_FIELD="body")
    p.process_item(dict(first))
    with pytest.raises(DropItem, match="repeat of item 'u1'"):
        p.process_item(dict(edited))
    # The same title as the engine reads it (a space more) is the same title.
    with pytest.raises(DropItem, match="repeat of item 'u1'"):
        p.process_item(dict(edited, title=first["title"] + " "))
    p.close_spider()
    stats = crawler.stats.get_stats()
    assert stats["storyhash/repeat"] == 2 and "storyhash/refused" not in stats
    p, crawler = pipeline(STORYHASH_BODY_FIELD="body", STORYHASH_DROP=False)
    kept = p.process_item(dict(first))
    again = p.process_item(dict(edited))
    assert (again["cluster"], again["story"]) == (kept["cluster"], kept["story"])
    # Another title under the same id, a headline rewritten, is an article of its own.
    other = p.process_item({"url": "u1", "title": "Oil prices fall as demand weakens"})
    assert other["cluster"] != kept["cluster"]
    p.close_spider()
    stats = crawler.stats.get_stats()
    assert stats["storyhash/repeat"] == 1 and stats["storyhash/revised"] == 1
    assert "storyhash/refused" not in stats


def test_a_revised_headline_is_checked_as_an_article_of_its_own(tmp_path):
    first = {"url": "u1", "title": "Volcano erupts in Iceland forcing thousands to evacuate"}
    revised = dict(first, title="Volcano erupts in Iceland forcing thousands to evacuate homes")
    p, crawler = pipeline(STORYHASH_DB=str(tmp_path / "news.db"))
    p.process_item(dict(first))
    # A few words changed: a near-duplicate of the item first stored under that URL.
    with pytest.raises(DropItem, match="near-duplicate of item 'u1'"):
        p.process_item(dict(revised))
    p.close_spider()
    # Revised again, with a body edited since: a repeat of the revision, as an edited body is of an item.
    p2, crawler2 = pipeline(STORYHASH_DB=str(tmp_path / "news2.db"), STORYHASH_BODY_FIELD="body",
                            STORYHASH_DROP=False)
    p2.process_item(dict(first, body="First crawl."))
    p2.process_item(dict(revised, body="Second crawl."))
    again = p2.process_item(dict(revised, body="Third crawl, edited."))
    assert "cluster" in again and crawler2.stats.get_value("storyhash/repeat") == 1
    assert "storyhash/refused" not in crawler2.stats.get_stats()
    p2.close_spider()
    # The same revision in a later crawl is a repeat of it, under the id it was stored with.
    p, crawler = pipeline(STORYHASH_DB=str(tmp_path / "news.db"), STORYHASH_DROP=False)
    again = p.process_item(dict(revised))
    assert again["cluster"] == p.engine.get("u1").cluster
    assert crawler.stats.get_value("storyhash/repeat") == 1
    assert crawler.stats.get_value("storyhash/revised") == 1
    p.close_spider()


def test_without_dropping_items_are_annotated_with_their_cluster_and_story():
    p, _ = pipeline(STORYHASH_DROP=False, STORYHASH_ID_FIELD="guid", STORYHASH_TITLE_FIELD="headline",
                    STORYHASH_CLUSTER_FIELD="dedupe_cluster", STORYHASH_THRESHOLD=0.6)
    assert p.engine.settings["threshold"] == 0.6
    a = p.process_item({"guid": "g1", "headline": ECB_1["title"]})
    b = p.process_item({"guid": "g2", "headline": ECB_2["title"]})
    assert a["dedupe_cluster"] == b["dedupe_cluster"] and a["story"] == b["story"]
    p.close_spider()


def test_a_field_set_to_none_is_left_out_of_a_scrapy_item():
    class Article(scrapy.Item):
        url = scrapy.Field()
        title = scrapy.Field()

    p, _ = pipeline(STORYHASH_DROP=False, STORYHASH_CLUSTER_FIELD=None, STORYHASH_STORY_FIELD=None,
                    STORYHASH_URL_FIELD=None)
    assert (p.cluster_field, p.story_field, p.url_field) == (None, None, None)
    item = p.process_item(Article(**ECB_1))
    assert dict(item) == ECB_1 and p.engine.get(ECB_1["url"]).url is None
    p.close_spider()


def test_an_item_class_without_the_annotation_fields_passes_without_them_with_one_warning(caplog):
    import dataclasses

    class Article(scrapy.Item):
        url = scrapy.Field()
        title = scrapy.Field()

    @dataclasses.dataclass
    class Plain:
        url: str
        title: str

    p, crawler = pipeline(STORYHASH_DROP=False)
    kept = [p.process_item(Article(**ECB_1)), p.process_item(Article(**OTHER)),
            p.process_item(Plain(url="http://e/5", title="Parliament passes the budget after a long night"))]
    assert [dict(k) if isinstance(k, scrapy.Item) else k.url for k in kept[:2]] == [ECB_1, OTHER]
    assert kept[2].url == "http://e/5"
    stats = crawler.stats.get_stats()
    assert stats["storyhash/new"] == 3 and stats["storyhash/unannotated"] == 3
    warned = [r.getMessage() for r in caplog.records if "take no field" in r.getMessage()]
    # Once per class for `cluster`, once for `story`: the second class's trouble is said too.
    assert len(warned) == 4, warned
    assert "items of Article take no field `cluster`" in warned[0] and "STORYHASH_CLUSTER_FIELD = None" in warned[0]
    assert "STORYHASH_STORY_FIELD = None" in warned[1]
    assert "items of Plain take no field `cluster`" in warned[2]
    p.process_item(Article(url="http://e/6", title="Storm closes the harbour at Malmo for a day"))
    assert len([r for r in caplog.records if "take no field" in r.getMessage()]) == 4
    p.close_spider()


def test_frozen_items_pass_without_the_annotation_fields_with_one_warning_each(caplog):
    import dataclasses

    import pydantic

    @dataclasses.dataclass(frozen=True)
    class Frozen:
        url: str
        title: str
        cluster: int | None = None
        story: int | None = None

    class Model(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True)
        url: str
        title: str
        cluster: int | None = None
        story: int | None = None

    p, crawler = pipeline(STORYHASH_DROP=False)
    kept = [p.process_item(Frozen(**ECB_1)), p.process_item(Model(**OTHER))]
    assert (kept[0].url, kept[0].cluster, kept[1].url, kept[1].cluster) == (ECB_1["url"], None, OTHER["url"], None)
    stats = crawler.stats.get_stats()
    assert stats["storyhash/new"] == 2 and stats["storyhash/unannotated"] == 2
    warned = [r.getMessage() for r in caplog.records if "refuse a value" in r.getMessage()]
    assert len(warned) == 4, warned  # for each class, once for `cluster`, once for `story`
    assert "items of Frozen refuse a value for their field `cluster`" in warned[0]
    assert "items of Model refuse a value for their field `cluster`" in warned[2]
    assert "a class not frozen, a field of type int or Any), or set STORYHASH_CLUSTER_FIELD = None" in warned[0]
    # The pydantic model's frozen fields raise its ValidationError, a ValueError: passed, not raised.
    assert p.process_item(Model(url="http://e/5", title="Parliament passes the budget after a long night")).cluster is None
    assert crawler.stats.get_stats()["storyhash/unannotated"] == 3
    p.close_spider()


def test_items_it_cannot_check_pass_untouched(caplog):
    p, crawler = pipeline()
    assert p.process_item({"title": "no url"}) == {"title": "no url"}
    assert p.process_item({"url": "http://x", "title": ""}) == {"url": "http://x", "title": ""}
    # A title under another key is named with the item's fields; a list an ItemLoader left with
    # nothing in it, too.
    p.process_item({"url": "http://y", "headline": "A headline"})
    p.process_item({"url": "http://z", "title": [""]})
    said = caplog.text
    assert "item 'http://y' passed unchecked: it has no `title`; its fields: headline, url" in said
    assert "STORYHASH_TITLE_FIELD names the field read" in said
    assert "item 'http://z' passed unchecked: it has no `title` text (its list holds none)" in said
    # A title over the engine's limit is refused: the item passes unannotated.
    long = {"url": "http://w", "title": "Storm " * 800_000}
    assert p.process_item(dict(long)) == long
    assert crawler.stats.get_value("storyhash/refused") == 1
    # A time of a type the engine does not read leaves the item untimed, not unchecked.
    odd = p.process_item({"url": "http://v", "title": "A headline of an odd time", "published": {"at": "noon"}})
    assert "cluster" in odd and crawler.stats.get_value("storyhash/untimed") == 1
    assert "item 'http://v' is checked without its `published`" in caplog.text
    # A title of another type is named with its article.
    p.process_item({"url": "http://u", "title": 7})
    assert "item 'http://u' passed unchecked: it has no `title` text (it is an int)" in caplog.text
    assert crawler.stats.get_value("storyhash/unchecked") == 5
    p.close_spider()


def test_a_time_the_engine_cannot_read_is_counted_and_warned_of_once(caplog):
    # A broken date selector shows in the first item's log and in the crawl's stats.
    p, crawler = pipeline()
    p.process_item({"url": "http://a", "title": "Storm closes the harbour", "published": "3 hours ago"})
    p.process_item({"url": "http://b", "title": "Markets fall on rate fears", "published": "yesterday"})
    p.process_item({"url": "http://c", "title": "Volcano erupts near the coast",
                    "published": "2014-03-10T16:55:01Z"})
    assert crawler.stats.get_value("storyhash/unreadable_time") == 2
    said = [r.getMessage() for r in caplog.records if "no form the engine reads" in r.getMessage()]
    assert len(said) == 1, said
    assert "item 'http://a' has a `published` of '3 hours ago'" in said[0]
    # A repeat of it stores nothing and is not counted again.
    with pytest.raises(DropItem, match="repeat"):
        p.process_item({"url": "http://a", "title": "Storm closes the harbour", "published": "3 hours ago"})
    assert crawler.stats.get_value("storyhash/unreadable_time") == 2
    p.close_spider()


def test_an_item_s_source_is_read_from_its_source_field(tmp_path):
    p, _ = pipeline(STORYHASH_DB=str(tmp_path / "news.db"))
    p.process_item(dict(ECB_1, source="Reuters"))
    p.process_item(dict(OTHER))
    p.close_spider()
    with storyhash.Engine(tmp_path / "news.db") as engine:
        assert engine.get("http://a/1").source == "Reuters"
        assert engine.get("http://c/3").source is None
    # So does a pipeline made directly, as a test or a script makes it.
    direct = DedupePipeline()
    direct.open_spider()
    direct.process_item(dict(OTHER, source="AP"))
    assert direct.engine is not None and direct.engine.get("http://c/3").source == "AP"
    direct.close_spider()


def test_a_paused_job_without_a_store_is_warned_of(tmp_path, caplog):
    p, _ = pipeline(JOBDIR=str(tmp_path / "job"))
    p.close_spider()
    assert "JOBDIR is set but STORYHASH_DB is not" in caplog.text
    caplog.clear()
    p, _ = pipeline(JOBDIR=str(tmp_path / "job"), STORYHASH_DB=str(tmp_path / "news.db"))
    p.close_spider()
    assert "JOBDIR" not in caplog.text


def test_a_field_of_the_item_s_own_is_not_written_over(caplog):
    p, crawler = pipeline()
    own = p.process_item({**OTHER, "story": "The text of the story"})
    assert own["story"] == "The text of the story" and "cluster" in own
    assert "hold a field `story` of their own, left as it is: set STORYHASH_STORY_FIELD" in caplog.text
    assert crawler.stats.get_value("storyhash/unannotated") == 1
    p.close_spider()


def test_scrapy_runs_it_from_its_settings_without_deprecation_warnings(tmp_path):
    crawler = get_crawler(settings_dict={
        "ITEM_PIPELINES": {"storyhash.scrapy.DedupePipeline": 300},
        "STORYHASH_DB": str(tmp_path / "db"),
    })

    async def crawl():
        manager = ItemPipelineManager.from_crawler(crawler)
        await manager.open_spider_async()
        kept = await manager.process_item_async(dict(ECB_1))
        with pytest.raises(DropItem):
            await manager.process_item_async(dict(ECB_2))
        await manager.close_spider_async()
        return kept

    with warnings.catch_warnings():
        warnings.simplefilter("error", ScrapyDeprecationWarning)
        kept = asyncio.run(crawl())
    assert kept["cluster"] == 0
    with storyhash.Engine(tmp_path / "db") as engine:  # closed by the crawl, so free to reopen
        assert engine.get(ECB_1["url"]).title == ECB_1["title"]


def test_every_engine_setting_is_read_and_an_unknown_one_is_named(caplog):
    p, _ = pipeline(STORYHASH_PERMUTATIONS=64, STORYHASH_BANDS="16,4", STORYHASH_STORY_GAP_ARTICLES=500,
                    STORYHASH_USE_BODY=False, STORYHASH_THRESHOLD="0.6", STORYHASH_TRESHOLD=0.9)
    settings = p.engine.settings
    assert (settings["permutations"], settings["bands"], settings["story_gap_articles"]) == (64, (16, 4), 500)
    assert settings["use_body"] is False and settings["threshold"] == 0.6
    assert "unknown setting STORYHASH_TRESHOLD is ignored" in caplog.text
    assert "STORYHASH_PERMUTATIONS" not in caplog.text.split("ignored")[0]
    # A setting that does not read is named with its value.
    with pytest.raises(ValueError, match="setting STORYHASH_THRESHOLD='abc'"):
        pipeline(STORYHASH_THRESHOLD="abc")
    with pytest.raises(ValueError, match="setting STORYHASH_BANDS='a,b'"):
        pipeline(STORYHASH_BANDS="a,b")
    with pytest.raises(ValueError, match="setting STORYHASH_BANDS='16': .*found tuple of 1"):
        pipeline(STORYHASH_BANDS="16")


def test_two_spiders_of_one_process_share_a_store(tmp_path):
    db = str(tmp_path / "db")
    first, _ = pipeline(STORYHASH_DB=db)
    second, _ = pipeline(STORYHASH_DB=db)
    first_cluster = first.process_item(dict(ECB_1))["cluster"]
    with pytest.raises(DropItem, match="http://a/1"):  # seen by the other spider
        second.process_item(dict(ECB_2))
    first.close_spider()
    kept = second.process_item(dict(OTHER))  # still open for the second
    assert kept["cluster"] == second.engine.get(OTHER["url"]).cluster != first_cluster
    second.close_spider()
    with storyhash.Engine(db) as engine:  # released once both closed
        assert engine.stats().articles == 3  # the dropped item is kept to match later ones
    with pytest.raises(storyhash.ConfigError, match="other settings .threshold 0.5 there, 0.7 here"):
        one, _ = pipeline(STORYHASH_DB=db)
        pipeline(STORYHASH_DB=db, STORYHASH_THRESHOLD=0.7)
    # A default given is the same setting as one left out.
    same, _ = pipeline(STORYHASH_DB=db, STORYHASH_THRESHOLD=0.5)
    assert same.engine is one.engine
    same.close_spider()
    one.close_spider()


def test_items_of_an_item_loader_are_read_as_take_first_reads_them():
    class Article(scrapy.Item):
        url = scrapy.Field()
        title = scrapy.Field()
        published = scrapy.Field()
        cluster = scrapy.Field()
        story = scrapy.Field()

    def loaded(url: str, title: str) -> Any:
        loader = ItemLoader(item=Article())
        loader.add_value("url", url)
        loader.add_value("title", title)
        loader.add_value("published", "2025-06-01T08:00:00Z")
        return loader.load_item()

    p, crawler = pipeline()
    kept = p.process_item(loaded("http://a", ECB_1["title"]))
    assert kept["title"] == [ECB_1["title"]] and kept["cluster"] == 0
    assert p.engine.get("http://a").published == "2025-06-01T08:00:00Z"
    with pytest.raises(DropItem, match="of item 'http://a'"):
        p.process_item(loaded("http://b", ECB_1["title"]))
    p.close_spider()


def test_the_pipeline_without_scrapy_says_what_to_install() -> None:
    import subprocess
    import sys

    # The package installed without its `scrapy` extra: the module says what is missing and how to get it.
    hide = "import sys; sys.modules['itemadapter'] = None; import storyhash.scrapy"
    run = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: storyhash.scrapy needs Scrapy"), run.stderr
    assert "pip install scrapy" in last, run.stderr
