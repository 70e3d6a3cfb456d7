"""The exceptions of storyhash. Every one is a ``StoryhashError``; each is also the built-in exception a
Python caller would catch for that kind of failure."""


class StoryhashError(Exception):
    """Any failure reported by the storyhash engine."""


class ArticleError(StoryhashError, ValueError):
    """An article the engine cannot ingest: an empty id or title, a field over the size limit, or an id
    stored already with another text. Nothing is stored for it; the engine stays usable."""


class ConfigError(StoryhashError, ValueError):
    """A setting that cannot work, naming the setting."""


class StoreError(StoryhashError, OSError):
    """A failure of the store: it cannot be opened (in use by another engine or process, unreadable),
    was created with other settings, or an operation on it failed."""


for _cls in (StoryhashError, ArticleError, ConfigError, StoreError):
    _cls.__module__ = "storyhash"
