"""A Scrapy item pipeline that sends every item through a storyhash engine.

Add it to a project's ``settings.py``::

    ITEM_PIPELINES = {"storyhash.scrapy.DedupePipeline": 300}
    STORYHASH_DB = "news.db"            # a store kept across crawls (spiders of one process share it); unset: in memory, for one crawl
    STORYHASH_DROP = True               # drop duplicates and near-duplicates (False: only annotate)
    STORYHASH_DROP_REPEATS = True       # drop items stored already (False: pass them on, annotated)
    STORYHASH_ID_FIELD = "url"          # which item field is the article's id
    STORYHASH_TITLE_FIELD = "title"

Each item with a title is ingested. A duplicate or near-duplicate of an earlier item is dropped with
``DropItem`` naming the earlier item (``STORYHASH_DROP = True``, the default); every item kept gets the
fields ``cluster`` and ``story`` (``STORYHASH_CLUSTER_FIELD``, ``STORYHASH_STORY_FIELD``; set either to
``None`` to leave it out). An item that cannot take such a field (a ``scrapy.Item`` class or a dataclass
that does not declare it, or a frozen dataclass or pydantic model), or already holds one of its own,
passes without it (its own kept), counted as ``storyhash/unannotated``, with a warning once per item
class and field naming the setting. A field holding a list (as an ``ItemLoader`` without a ``TakeFirst``
output processor leaves every field) is read as its first value that is not empty, as ``TakeFirst``
would. An item without an id or a title passes untouched, and so does one the engine refuses (a field
over ``max_field_bytes``), with a warning in the log; an item whose ``published`` the engine refuses
(a type it does not read) is checked without it. An item
whose id is stored already with the same title (yielded again in this crawl, or seen by an earlier one
kept in ``STORYHASH_DB``), whatever its other fields say now (a body edited since), is a repeat: dropped,
or with ``STORYHASH_DROP = False`` or ``STORYHASH_DROP_REPEATS = False`` annotated with its verdict as it
stands. An item whose id is stored
with another title (a headline the site revised) is checked as an article of its own, under the id
``ID#rev-DIGEST`` (the digest is of the new title, so a revision crawled again is a repeat): a revision
of a few words is a near-duplicate of the item first stored, dropped as such, and a rewritten one is
checked against everything else; counted as ``storyhash/revised`` too. The crawl's stats count
``storyhash/new``, ``storyhash/duplicate``, ``storyhash/near_duplicate``, ``storyhash/repeat``,
``storyhash/dropped``, ``storyhash/revised``, ``storyhash/untimed`` (the engine refused the item's
``published``, so it was checked without it), ``storyhash/unreadable_time`` (a ``published`` in no form
the engine reads, such as ``"3 hours ago"``, or more than a day ahead: the item takes the time it is
processed; warned of once), ``storyhash/refused`` (the engine refused the item),
``storyhash/unchecked`` (the item had no id or no title), ``storyhash/unannotated`` and
``storyhash/unstored`` (below). Scrapy logs
each dropped item as a warning; in a crawl that drops many, its setting
``DEFAULT_DROPITEM_LOG_LEVEL = "INFO"`` (recent Scrapy; 2.19 has it) logs them as information.

An item is stored when it passes this pipeline, before the pipelines after it and the feed exports see
it. One that a later pipeline fails on (an exception other than ``DropItem``) is removed from the store
again, with a warning, counted as ``storyhash/unstored``, so that a retry or the next crawl checks it
afresh rather than dropping it as a repeat of itself; give the pipeline a number after those that only
check items. An item stored by a crawl that was killed before its feed was written is a repeat in the
next crawl: ``STORYHASH_DROP_REPEATS = False`` passes repeats on (annotated, counted as
``storyhash/repeat``), so that every crawl's output holds every item it saw, duplicates of other items
still dropped (an item stored as a duplicate of another is dropped as such when it comes again). The
items a crawl dropped as duplicates of an item removed so are removed with it, so that the next crawl
checks them afresh too (else the removed item would be a duplicate of them there, and they repeats).

All settings: ``STORYHASH_DB``, ``STORYHASH_DROP``, ``STORYHASH_DROP_REPEATS``, every keyword of ``storyhash.Engine`` in capitals
(``STORYHASH_THRESHOLD``, ``STORYHASH_SHINGLE``, ``STORYHASH_PERMUTATIONS``, ``STORYHASH_BANDS`` (bands and
rows: ``(16, 4)`` or ``"16,4"``),
``STORYHASH_USE_BODY``, ``STORYHASH_SEED``,
``STORYHASH_WINDOW`` (unset: articles match across all time; ``"7d"``: only within a week of each other;
a duration is a text with its unit or a ``timedelta``, never a bare number, which could mean seconds or
days),
``STORYHASH_STORY_THRESHOLD``, ``STORYHASH_STORY_MERGE``,
``STORYHASH_STORY_GAP`` (``"1d"``), ``STORYHASH_STORY_SPAN`` (``"7d"``), ``STORYHASH_STORY_GAP_ARTICLES``,
``STORYHASH_LINKAGE``, ``STORYHASH_MIN_SHINGLES``, ``STORYHASH_BUCKET_CAP``,
``STORYHASH_MAX_FIELD_BYTES``), and the field
names ``STORYHASH_ID_FIELD`` (``"url"``), ``STORYHASH_TITLE_FIELD`` (``"title"``),
``STORYHASH_BODY_FIELD`` (``None``), ``STORYHASH_SOURCE_FIELD`` (``"source"``), ``STORYHASH_URL_FIELD``
(``"url"``), ``STORYHASH_PUBLISHED_FIELD`` (``"published"``; a time the engine cannot read, or an item
without the field, takes the time it is processed), ``STORYHASH_CLUSTER_FIELD`` (``"cluster"``),
``STORYHASH_STORY_FIELD`` (``"story"``). The matching settings left unset take a store's recorded
ones, as ``storyhash.Engine`` does; a ``STORYHASH_`` setting of another name is logged as ignored.

Importing this module needs Scrapy; the rest of storyhash does not.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from typing import Any

try:
    from itemadapter import ItemAdapter
    from scrapy import signals
    from scrapy.exceptions import DropItem
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError(
        f"storyhash.scrapy needs Scrapy ({missing}): `pip install scrapy`, or install "
        "storyhash with it (`pip install './python[scrapy]'` from a checkout)",
        name=missing.name,
    ) from missing

from . import ArticleError, ConfigError, Engine

logger = logging.getLogger(__name__)

# A store is open in one engine at a time: the spiders of one process that name the same
# ``STORYHASH_DB`` share its engine, closed when the last of them closes (a store path -> the engine,
# its settings and how many spiders hold it).
_shared: dict[str, tuple[Engine, dict, int]] = {}
_shared_lock = threading.Lock()


# The settings a store records when it is made, which an engine opening it takes when not given.
_STORE_RECORDS = {"threshold", "shingle", "permutations", "bands", "use_body", "seed"}


def _open_shared(db: Any, settings: dict) -> tuple[Engine, str | None]:
    """The engine for ``db`` and the key it is shared under (``None`` in memory), which closing it takes:
    resolved once, so that a later ``chdir`` or a moved symlink cannot make it name another store."""
    if db is None:
        return Engine(None, **settings), None  # in memory: each spider's own
    key = os.path.realpath(os.fspath(db))
    with _shared_lock:
        if key in _shared:
            engine, first, holders = _shared[key]
            if settings != first:
                # Compared as the engine takes them, so that a default given or a duration written
                # otherwise ("7d", 604800) is no difference. A setting the store records, left out
                # here, is the store's: the same for both.
                asked = Engine(None, **settings).settings
                compared = set(settings) | (set(first) - _STORE_RECORDS)
                differ = [
                    f"{name} {engine.settings[name]!r} there, {asked[name]!r} here"
                    for name in sorted(compared)
                    if asked[name] != engine.settings[name]
                ]
                if differ:
                    raise ConfigError(
                        f"STORYHASH_DB {os.fspath(db)!r} is open in this process for another spider "
                        f"with other settings ({'; '.join(differ)}); give both the same settings or "
                        "another STORYHASH_DB")
            _shared[key] = (engine, first, holders + 1)
            return engine, key
        engine = Engine(db, **settings)
        _shared[key] = (engine, settings, 1)
        return engine, key


def _close_shared(key: str | None, engine: Engine) -> None:
    if key is None:
        engine.close()
        return
    with _shared_lock:
        held = _shared.get(key)
        if held is None or held[0] is not engine:
            engine.close()
            return
        if held[2] > 1:
            _shared[key] = (held[0], held[1], held[2] - 1)
            return
        del _shared[key]
    engine.close()


# Every keyword of ``storyhash.Engine`` and how Scrapy's settings read it.
_ENGINE_SETTINGS = {
    "threshold": "getfloat",
    "shingle": "get",
    "permutations": "getint",
    "bands": "getlist",  # (bands, rows): a pair, or the text "16,4"
    "use_body": "getbool",
    "seed": "getint",
    "window": "get",
    "story_threshold": "getfloat",
    "story_merge": "getfloat",
    "story_gap": "get",
    "story_span": "get",
    "story_gap_articles": "getint",
    "linkage": "get",
    "min_shingles": "getint",
    "bucket_cap": "getint",
    "max_field_bytes": "getint",
}

# The settings read as durations: a bare number is refused, as the command line refuses it.
_DURATION_SETTINGS = {"window", "story_gap", "story_span"}

# Most items passed on and not yet through the later pipelines that are remembered (Scrapy processes up
# to CONCURRENT_ITEMS of each response at a time, 100 by default, for CONCURRENT_REQUESTS responses, 16:
# 1,600 items; one that a later pipeline replaced by another object is not seen through and is
# forgotten in turn, held until then).
_PASSED_REMEMBERED = 10_000

_PIPELINE_SETTINGS = {
    "STORYHASH_DB", "STORYHASH_DROP", "STORYHASH_DROP_REPEATS", "STORYHASH_ID_FIELD", "STORYHASH_TITLE_FIELD",
    "STORYHASH_BODY_FIELD", "STORYHASH_SOURCE_FIELD", "STORYHASH_URL_FIELD",
    "STORYHASH_PUBLISHED_FIELD", "STORYHASH_CLUSTER_FIELD", "STORYHASH_STORY_FIELD",
}


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: "an int", "a dict"."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _revision_id(id_: Any, title: str) -> str:
    """The id a revised headline is stored under: the item's id and a digest of the new title, the same
    in every crawl."""
    digest = hashlib.blake2b(title.strip().encode("utf-8"), digest_size=6).hexdigest()
    return f"{id_}#rev-{digest}"


class DedupePipeline:
    """Drops (or annotates) items whose title duplicates an earlier item's; see the module's help."""

    def __init__(
        self,
        db: str | None = None,
        *,
        drop: bool = True,
        drop_repeats: bool = True,
        id_field: str = "url",
        title_field: str = "title",
        body_field: str | None = None,
        source_field: str | None = "source",
        url_field: str | None = "url",
        published_field: str | None = "published",
        cluster_field: str | None = "cluster",
        story_field: str | None = "story",
        stats: Any = None,
        **engine_settings: Any,
    ) -> None:
        self.db = db
        self.drop = drop
        self.drop_repeats = drop_repeats
        self.id_field = id_field
        self.title_field = title_field
        self.body_field = body_field
        self.source_field = source_field
        self.url_field = url_field
        self.published_field = published_field
        self.cluster_field = cluster_field
        self.story_field = story_field
        self.stats = stats
        self.engine_settings = engine_settings
        self.engine: Engine | None = None
        self._shared_key: str | None = None  # set when opened: what `_close_shared` releases
        # The (item class, field) pairs warned of: each class's own trouble is said once.
        self._unannotated: set[tuple[type, str]] = set()
        # The types of `published` values the engine refused, warned of once each.
        self._untimed_kinds: set[type] = set()
        # Whether an item's `published` the engine could not read was warned of.
        self._unreadable_warned = False
        self._closed = False  # set by close_spider: an item after it is refused, not a reopened store
        # Items this pipeline stored and passed on, not yet through the later ones: id(item) -> the item
        # (so that its id is not another's meanwhile) and the id it is stored under.
        self._passed: OrderedDict[int, tuple[Any, Any]] = OrderedDict()
        # Items this pipeline stored and dropped as duplicates in this crawl: the id each is stored under
        # -> the id of the item it duplicates. An item removed again takes those that duplicate it out
        # with it, or neither would reach the next crawl's output (the removed one a duplicate of them).
        self._dropped: OrderedDict[Any, Any] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DedupePipeline":
        s = crawler.settings

        def opt(name: str, default: Any) -> Any:
            # A setting given as None is None (a field left out), not the default: Settings.get would
            # answer the default for it.
            return s.get(name) if name in s else default

        engine_settings = {}
        for arg, read in _ENGINE_SETTINGS.items():
            setting = "STORYHASH_" + arg.upper()
            if s.get(setting) is not None:
                if arg in _DURATION_SETTINGS and isinstance(s.get(setting), (int, float)):
                    n = s.get(setting)
                    units = (f"'{n}d' for days, '{n}h', '{n}min', '{n}s'"
                             if type(n) is int else "'7d', '36h', '90min'")
                    raise ValueError(
                        f"storyhash: setting {setting}={n!r} has no unit; write it with one ({units}) "
                        "or as a datetime.timedelta")
                try:
                    value = getattr(s, read)(setting)
                    engine_settings[arg] = tuple(int(v) for v in value) if read == "getlist" else value
                except (TypeError, ValueError) as e:
                    raise ValueError(f"storyhash: setting {setting}={s.get(setting)!r}: {e}") from e
        # Checked here, where a bad setting stops the crawl with its name, rather than when the spider
        # opens, where Scrapy logs it after the crawl's end; an engine in memory takes milliseconds.
        try:
            Engine(None, **engine_settings).close()
        except (ConfigError, TypeError, ValueError) as e:
            named = next((a for a in engine_settings if f"`{a}`" in str(e)), None)
            if named is None:
                raise ValueError(f"storyhash: the STORYHASH_ settings: {e}") from e
            setting = "STORYHASH_" + named.upper()
            hint = " (bands and rows: '16,4' or (16, 4))" if named == "bands" else ""
            raise ValueError(f"storyhash: setting {setting}={s.get(setting)!r}: {e}{hint}") from e
        if s.get("JOBDIR") and opt("STORYHASH_DB", None) is None:
            # A job paused and resumed is one crawl to its user, but two runs of the process.
            logger.warning(
                "storyhash: JOBDIR is set but STORYHASH_DB is not: the engine is in memory, so a resumed "
                "job starts with none of the items seen before its pause; set STORYHASH_DB to keep them")
        known = {"STORYHASH_" + a.upper() for a in _ENGINE_SETTINGS} | _PIPELINE_SETTINGS
        for name in s:
            if name.startswith("STORYHASH_") and name not in known:
                logger.warning("storyhash: unknown setting %s is ignored; the settings are %s", name,
                               ", ".join(sorted(known)))
        pipeline = cls(
            db=opt("STORYHASH_DB", None),
            drop=s.getbool("STORYHASH_DROP", True),
            drop_repeats=s.getbool("STORYHASH_DROP_REPEATS", True),
            id_field=opt("STORYHASH_ID_FIELD", "url"),
            title_field=opt("STORYHASH_TITLE_FIELD", "title"),
            body_field=opt("STORYHASH_BODY_FIELD", None),
            source_field=opt("STORYHASH_SOURCE_FIELD", "source"),
            url_field=opt("STORYHASH_URL_FIELD", "url"),
            published_field=opt("STORYHASH_PUBLISHED_FIELD", "published"),
            cluster_field=opt("STORYHASH_CLUSTER_FIELD", "cluster"),
            story_field=opt("STORYHASH_STORY_FIELD", "story"),
            stats=crawler.stats,
            **engine_settings,
        )
        crawler.signals.connect(pipeline._item_failed, signal=signals.item_error)
        crawler.signals.connect(pipeline._item_through, signal=signals.item_scraped)
        crawler.signals.connect(pipeline._item_through, signal=signals.item_dropped)
        return pipeline

    def open_spider(self, spider: Any = None) -> None:
        self._closed = False
        if self.engine is None:
            self.engine, self._shared_key = _open_shared(self.db, self.engine_settings)

    def _item_through(self, item: Any) -> None:
        """Scrapy's ``item_scraped`` or ``item_dropped``: the item went through the later pipelines."""
        self._passed.pop(id(item), None)

    def _item_failed(self, item: Any, failure: Any = None) -> None:
        """Scrapy's ``item_error``: a later pipeline failed on an item this one stored and passed on, which
        is removed from the store again, with the items this crawl dropped as its duplicates (and as
        theirs), so that a retry or the next crawl checks them afresh."""
        passed = self._passed.pop(id(item), None)
        if passed is None or passed[0] is not item or self.engine is None:
            return
        stored_id = passed[1]
        if self.engine.remove(stored_id):
            self._count("unstored")
            logger.warning(
                "storyhash: item %r was removed from the store again, as a later pipeline failed on it "
                "(%s): a retry or the next crawl checks it afresh", stored_id,
                getattr(failure, "value", failure))
        # The items dropped in this crawl as duplicates of it, and of those in turn.
        removed = [stored_id]
        while removed:
            original = removed.pop()
            # `duplicate_of` is the stored id as text; an item's own id may be an int.
            for dropped in [d for d, of in self._dropped.items() if of == str(original)]:
                del self._dropped[dropped]
                if self.engine.remove(dropped):
                    self._count("unstored")
                    logger.warning(
                        "storyhash: item %r, dropped as a duplicate of %r, was removed from the store "
                        "again with it: the next crawl checks it afresh", dropped, original)
                removed.append(dropped)

    def close_spider(self, spider: Any = None) -> None:
        self._closed = True
        if self.engine is not None:
            _close_shared(self._shared_key, self.engine)
            self.engine = None

    def _ingest(self, engine: Engine, id_: Any, title: str, fields: dict) -> Any:
        """The verdict on the item under ``id_``. An id stored already (in this crawl, or an earlier one
        kept in STORYHASH_DB) with the same text is a repeat, which the engine answers with its verdict as
        it stands, marked as such. So is one whose title is the same as the engine reads it, whatever its
        body says now (a page edited since is the same item): its title with the stored fields is the
        stored text. With another title the engine refuses it (``ArticleError``)."""
        try:
            return self._ingest_timed(engine, id_, title, fields)
        except ArticleError:
            stored = engine.get(id_)
            if stored is None:
                raise
            return engine.ingest(id_, title, body=stored.body, source=stored.source, url=stored.url,
                                 published=stored.published)

    def _ingest_timed(self, engine: Engine, id_: Any, title: str, fields: dict) -> Any:
        """``engine.ingest`` of the item's fields; a time the engine refuses (of a type it does not read)
        leaves the item untimed rather than unchecked, with a warning once per type of value."""
        published = fields.get("published")
        # The engine counts a time it cannot read and takes the item's arrival instead.
        unread_before = engine.stats().unreadable_times if published is not None else None
        try:
            verdict = engine.ingest(id_, title, **fields)
        except (TypeError, ArticleError) as e:
            if published is None or "`published`" not in str(e):
                raise
            kind = type(published)
            if kind not in self._untimed_kinds:
                self._untimed_kinds.add(kind)
                logger.warning(
                    "storyhash: item %r is checked without its `%s` (%s), which takes the time it is "
                    "processed; so are later items whose %s the engine refuses, without another warning "
                    "(counted as storyhash/untimed; STORYHASH_PUBLISHED_FIELD names the field read)",
                    id_, self.published_field, e, kind.__name__)
            self._count("untimed")
            return engine.ingest(id_, title, **dict(fields, published=None))
        if unread_before is not None and engine.stats().unreadable_times > unread_before:
            self._count("unreadable_time")
            if not self._unreadable_warned:
                self._unreadable_warned = True
                logger.warning(
                    "storyhash: item %r has a `%s` of %r, in no form the engine reads (or more than a day "
                    "ahead): it takes the time it is processed; so do later such items, without another "
                    "warning (counted as storyhash/unreadable_time; STORYHASH_PUBLISHED_FIELD names the "
                    "field read)", id_, self.published_field, published)
        return verdict

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"storyhash/{key}")

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if self._closed:
            # Opening the store again here would hold it, locked, with nothing left to close it.
            raise RuntimeError("storyhash: an item came after close_spider(); call open_spider() first")
        if self.engine is None:
            self.open_spider()
        engine = self.engine
        assert engine is not None  # opened just above
        adapter = ItemAdapter(item)

        def field(name: str | None) -> Any:
            value = adapter.get(name) if name else None
            if isinstance(value, (list, tuple)):
                # An ItemLoader's list: its first value, as TakeFirst takes it.
                value = next((v for v in value if v is not None and v != ""), None)
            return value

        id_ = field(self.id_field)
        title = field(self.title_field)
        if id_ in (None, "") or not isinstance(title, str) or not title.strip():
            if id_ in (None, ""):
                missing, setting = f"`{self.id_field}`", "STORYHASH_ID_FIELD"
            else:
                setting = "STORYHASH_TITLE_FIELD"
                listed = isinstance(adapter.get(self.title_field), (list, tuple))
                missing = f"`{self.title_field}`" + (
                    " text (its list holds none)" if listed and title is None
                    else "" if title is None
                    else " text (it is blank)" if isinstance(title, str)
                    else f" text (it is {_a(type(title).__name__)})")
            logger.warning(
                "storyhash: item %r passed unchecked: it has no %s; its fields: %s (%s names the field "
                "read)",
                id_ if id_ not in (None, "") else None, missing,
                ", ".join(sorted(map(str, adapter.keys()))) or "none", setting,
            )
            self._count("unchecked")
            return item
        fields = {
            "body": field(self.body_field),
            "source": field(self.source_field),
            "url": field(self.url_field),
            "published": field(self.published_field),
        }
        stored_id = id_
        try:
            try:
                verdict = self._ingest(engine, id_, title, fields)
            except ArticleError:
                if engine.get(id_) is None:
                    raise
                # A headline revised since it was stored: an article of its own, under an id of this
                # revision, so that it is checked against the first and everything else.
                stored_id = _revision_id(id_, title)
                verdict = self._ingest(engine, stored_id, title, fields)
                self._count("revised")
            if verdict.repeat:
                self._count("repeat")
                if self.drop and self.drop_repeats:
                    self._count("dropped")
                    raise DropItem(f"repeat of item {id_!r}, stored already with this title: {title!r}")
            else:
                self._count(verdict.status)
            if self.drop and verdict.is_duplicate:
                # A repeat passed on is dropped still when it was a duplicate when stored, as it was then.
                if not verdict.repeat:
                    self._dropped[stored_id] = verdict.duplicate_of
                    if len(self._dropped) > _PASSED_REMEMBERED:
                        self._dropped.popitem(last=False)
                self._count("dropped")
                kind = "duplicate" if verdict.status == "duplicate" else "near-duplicate"
                stored = ", stored already" if verdict.repeat else ""
                raise DropItem(
                    f"{kind} of item {verdict.duplicate_of!r} "
                    f"(similarity {verdict.similarity:.2f}, cluster {verdict.cluster}{stored}): {title!r}"
                )
            cluster, story = verdict.cluster, verdict.story
        except (ArticleError, TypeError) as e:
            logger.warning("storyhash: item %r passed unchecked: %s", id_, e)
            self._count("refused")
            return item
        annotations = (
            (self.cluster_field, cluster, "STORYHASH_CLUSTER_FIELD"),
            (self.story_field, story, "STORYHASH_STORY_FIELD"),
        )
        unannotated = False
        for name, value, setting in annotations:
            if not name:
                continue
            if adapter.get(name) is not None:
                # A field of the item's own (a `story` text, say) is not written over.
                unannotated = True
                if (type(item), name) not in self._unannotated:
                    self._unannotated.add((type(item), name))
                    logger.warning(
                        "storyhash: items of %s hold a field `%s` of their own, left as it is: set %s "
                        "to another name to have it written", type(item).__name__, name, setting)
                continue
            try:
                adapter[name] = value
            except (KeyError, TypeError, AttributeError, ValueError) as e:
                # The item is stored already: it passes, without the field its class does not have or
                # does not let be set (a frozen dataclass or pydantic model).
                unannotated = True
                if (type(item), name) not in self._unannotated:
                    self._unannotated.add((type(item), name))
                    if name in adapter.field_names():
                        logger.warning(
                            "storyhash: items of %s refuse a value for their field `%s`, so they pass "
                            "without it: let the field take an int (a class not frozen, a field of "
                            "type int or Any), or set %s = None (%s)",
                            type(item).__name__, name, setting, e)
                    else:
                        logger.warning(
                            "storyhash: items of %s take no field `%s`, so they pass without it: declare "
                            "it on the item class (`%s = scrapy.Field()`), or set %s = None (%s)",
                            type(item).__name__, name, name, setting, e)
        if unannotated:
            self._count("unannotated")
        if not verdict.repeat:
            self._passed[id(item)] = (item, stored_id)
            if len(self._passed) > _PASSED_REMEMBERED:
                self._passed.popitem(last=False)
        return item
