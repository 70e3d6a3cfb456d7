"""storyhash: deduplicates news headlines and groups them into story clusters.

Each article is normalised, cut into shingles, summarised by a MinHash signature and matched against
earlier articles through LSH band tables; a match puts it in a near-duplicate cluster whose id never
changes, and every article joins a story (articles about one event, worded alike or not). The engine
is the Rust library behind the ``storyhash`` command and daemon, with the same store format:

>>> import storyhash
>>> engine = storyhash.Engine()          # or storyhash.Engine("news.db"), a store on disk
>>> engine.ingest("a1", "ECB unlikely to end sterilisation of SMP purchases - traders").status
'new'
>>> engine.ingest("a2", "ECB unlikely to end sterilization of SMP purchases: traders").duplicate_of
'a1'

``Engine.ingest_many`` takes an iterable of dicts or ``(id, title)`` pairs and uses every core.
``storyhash.scrapy.DedupePipeline`` is a Scrapy item pipeline (Scrapy is not required otherwise).
"""

from ._errors import ArticleError, ConfigError, StoreError, StoryhashError
from ._storyhash import (
    ClusterInfo,
    Engine,
    Group,
    Member,
    Stats,
    StoredArticle,
    Trend,
    Verdict,
    __version__,
)

__all__ = [
    "ArticleError",
    "ClusterInfo",
    "ConfigError",
    "Engine",
    "Group",
    "Member",
    "Stats",
    "StoreError",
    "StoredArticle",
    "StoryhashError",
    "Trend",
    "Verdict",
    "__version__",
]
