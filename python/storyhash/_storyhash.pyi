"""Type stubs of the compiled half of storyhash (re-exported by ``storyhash``)."""

import datetime
import os
import pathlib
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal, final

from typing_extensions import Self

__version__: str

Status = Literal["new", "duplicate", "near_duplicate"]
Id = str | int
# NumPy's datetime64 is read too (as UTC); it is not named here so as not to need NumPy.
Published = str | int | float | datetime.datetime | datetime.date | None
# Keys of any type, so that pandas' `df.to_dict("records")` (typed `dict[Hashable, Any]`) is one.
Record = Mapping[Any, Any] | tuple[Id, str] | list[Any] | str | bytes
PointInTime = datetime.datetime | datetime.date | datetime.timedelta | int | float | str
Span = datetime.timedelta | int | float | str

@final
class Verdict:
    """The engine's answer for one article."""

    def __init__(
        self,
        id: str | None,
        status: Status,
        cluster: int,
        story: int,
        duplicate_of: str | None,
        similarity: float | None,
        cluster_size: int,
        repeat: bool = False,
    ) -> None: ...
    @property
    def id(self) -> str | None:
        """The article's id; ``None`` for a headline queried without one."""
    @property
    def status(self) -> Status: ...
    @property
    def cluster(self) -> int:
        """The near-duplicate cluster it joined (ids never change; see ``Engine.resolve``)."""
    @property
    def story(self) -> int:
        """The story it belongs to: articles about one event, worded alike or not."""
    @property
    def duplicate_of(self) -> str | None:
        """The best-matching earlier article (``None`` for a new one)."""
    @property
    def similarity(self) -> float | None:
        """Estimated Jaccard similarity to ``duplicate_of`` (1.0 for an exact duplicate)."""
    @property
    def cluster_size(self) -> int: ...
    @property
    def repeat(self) -> bool:
        """True when the article was stored before (the same id and text): nothing was stored again."""
    @property
    def is_duplicate(self) -> bool:
        """True for a duplicate or a near-duplicate."""
    def as_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class StoredArticle:
    """An article as the engine keeps it, and where it stands now."""

    # Compared by value and not hashable: key a dict by its `id` instead.
    __hash__: ClassVar[None]  # type: ignore[assignment]

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def published(self) -> str | None: ...
    @property
    def cluster(self) -> int: ...
    @property
    def story(self) -> int: ...
    @property
    def status(self) -> Status: ...
    @property
    def duplicate_of(self) -> str | None: ...
    @property
    def similarity(self) -> float | None: ...
    def as_dict(self) -> dict[str, Any]:
        """The attributes as a dict, ready for ``json.dumps``."""

@final
class ClusterInfo:
    """A cluster as ``Engine.clusters()`` lists it."""

    # Compared by value and not hashable: key a dict by its `id` instead.
    __hash__: ClassVar[None]  # type: ignore[assignment]

    @property
    def id(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def representative(self) -> str: ...
    @property
    def members(self) -> list[str]: ...
    def as_dict(self) -> dict[str, Any]:
        """The attributes as a dict, ready for ``json.dumps``."""

@final
class Member:
    """One member of a cluster or story."""

    # Compared by value and not hashable: key a dict by its `id` instead.
    __hash__: ClassVar[None]  # type: ignore[assignment]

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def source(self) -> str | None: ...
    @property
    def url(self) -> str | None:
        """Its URL, when it was given."""
    @property
    def time(self) -> datetime.datetime:
        """Publication time, else arrival (UTC)."""
    def as_dict(self) -> dict[str, Any]:
        """The attributes as a dict, ready for ``json.dumps``: ``time`` as RFC 3339 text (UTC)."""

@final
class Group:
    """A cluster or a story with its time span, sources and one page of members."""

    # Compared by value and not hashable: key a dict by its `id` instead.
    __hash__: ClassVar[None]  # type: ignore[assignment]

    @property
    def id(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def representative(self) -> str: ...
    @property
    def first_seen(self) -> datetime.datetime: ...
    @property
    def last_seen(self) -> datetime.datetime: ...
    @property
    def sources(self) -> list[str]: ...
    @property
    def members(self) -> list[Member]: ...
    @property
    def story(self) -> int: ...
    def as_dict(self) -> dict[str, Any]:
        """The attributes as a dict, ready for ``json.dumps``: times as RFC 3339 text (UTC), members as
        dicts."""

@final
class Trend:
    """A cluster that grew within a recent window."""

    # Compared by value and not hashable: key a dict by its `id` instead.
    __hash__: ClassVar[None]  # type: ignore[assignment]

    @property
    def id(self) -> int: ...
    @property
    def story(self) -> int: ...
    @property
    def growth(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def representative(self) -> str: ...
    @property
    def last_seen(self) -> datetime.datetime: ...
    def as_dict(self) -> dict[str, Any]:
        """The attributes as a dict, ready for ``json.dumps``: ``last_seen`` as RFC 3339 text (UTC)."""

@final
class Stats:
    """Counters of what an engine holds."""

    # Compared by value and not hashable.
    __hash__: ClassVar[None]  # type: ignore[assignment]

    @property
    def articles(self) -> int: ...
    @property
    def clusters(self) -> int: ...
    @property
    def new(self) -> int: ...
    @property
    def duplicates(self) -> int: ...
    @property
    def near_duplicates(self) -> int: ...
    @property
    def exact_only(self) -> int: ...
    @property
    def unreadable_times(self) -> int: ...
    @property
    def untimed(self) -> int: ...
    def as_dict(self) -> dict[str, int]: ...

@final
class Engine:
    """The deduplication engine: in memory (``path=None``) or kept in a sled store directory, in the
    same format as the ``storyhash`` command and daemon. Settings left ``None`` take a store's recorded
    ones, else the defaults (threshold 0.5, char5 shingles, 128 permutations). Shared safely by threads;
    a context manager that flushes and closes."""

    def __init__(
        self,
        path: str | bytes | os.PathLike[str] | os.PathLike[bytes] | None = None,
        *,
        threshold: float | None = None,
        shingle: str | None = None,
        permutations: int | None = None,
        bands: tuple[int, int] | list[int] | None = None,
        use_body: bool | None = None,
        seed: int | None = None,
        window: Span | None = None,
        story_threshold: float | None = 0.15,
        story_merge: float | None = 0.3,
        story_gap: Span | None = None,
        story_span: Span | None = None,
        story_gap_articles: int | None = None,
        linkage: Literal["best", "single"] | None = "best",
        min_shingles: int | None = 3,
        bucket_cap: int | None = 64,
        max_field_bytes: int | None = 4194304,
    ) -> None: ...
    def ingest(
        self,
        id: Id,
        title: str,
        *,
        body: str | None = None,
        source: str | None = None,
        url: str | None = None,
        published: Published = None,
    ) -> Verdict:
        """Decides on one article and stores it."""
    def ingest_many(
        self,
        items: Iterable[Record],
        *,
        batch_size: int = 50000,
        fields: Mapping[str, str] | None = None,
    ) -> list[Verdict]:
        """Ingests every record (dicts, ``(id, title)`` pairs, or JSON article objects as ``str`` or
        ``bytes``, such as the lines of a JSON Lines file) on all cores, in order; ``fields`` names the
        key each field is read from (``{"id": "url"}``)."""
    def query(
        self,
        id: Id | None,
        title: str,
        *,
        body: str | None = None,
        source: str | None = None,
        url: str | None = None,
        published: Published = None,
    ) -> Verdict:
        """The verdict this article would get, storing nothing; with ``id`` ``None``, its text's."""
    def get(self, id: Id) -> StoredArticle | None: ...
    def cluster(self, id: int, *, offset: int = 0, limit: int = 100) -> Group | None: ...
    def story(self, id: int, *, offset: int = 0, limit: int = 100) -> Group | None: ...
    def clusters(self, *, min_size: int = 1) -> list[ClusterInfo]: ...
    def trending(self, since: PointInTime | None = None, *, limit: int = 20) -> list[Trend]: ...
    def resolve(self, cluster: int) -> int: ...
    def resolve_story(self, story: int) -> int: ...
    def remove(self, id: Id) -> bool: ...
    def prune(self, before: PointInTime) -> int: ...
    def flush(self) -> None: ...
    def stats(self) -> Stats: ...
    def overview(self) -> dict[str, Any]:
        """Live ``articles``, ``clusters`` and ``stories``, and the ``oldest`` and ``newest`` article times."""
    @property
    def settings(self) -> dict[str, Any]: ...
    @property
    def path(self) -> pathlib.Path | None: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> Literal[False]: ...
