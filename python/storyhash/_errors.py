"""The exceptions of storyhash. Every one is a ``StoryhashError``; each is also the built-in exception a
Python caller would catch for that kind of failure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._storyhash import Verdict


class StoryhashError(Exception):
    """Any failure reported by the storyhash engine."""


class ArticleError(StoryhashError, ValueError):
    """An article the engine cannot ingest: an empty id or title, a field over the size limit, or an id
    stored already with another text. Nothing is stored for it; the engine stays usable.

    Raised by ``Engine.ingest_many``, it also has ``index`` (the record's position in the iterable),
    ``verdicts`` (those of the records before it, all stored) and ``pending`` (the records taken from the
    iterable after it, as dicts of the fields read; a record that could not be read as it was given)."""

    # Set on the errors of ``Engine.ingest_many`` only (declared for type checkers; no value here).
    index: int
    verdicts: list[Verdict]
    pending: list[Any]


class ConfigError(StoryhashError, ValueError):
    """A setting that cannot work, naming the setting."""


class StoreError(StoryhashError, OSError):
    """A failure of the store: it cannot be opened (in use by another engine or process, unreadable),
    was created with other settings, or an operation on it failed.

    When the system refused (a full disk, a read-only file system, a file where the store's directory
    should be), ``errno`` and ``strerror`` say so as for any ``OSError`` (``errno.ENOSPC``, …); when the
    store itself refused they are ``None``. The text is storyhash's message either way."""

    def __str__(self):
        # OSError would print "[Errno N] strerror" once errno is set; the message says more.
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()

    def __reduce__(self):
        # OSError rebuilds errno and strerror from its arguments, which here are the message alone.
        state = dict(getattr(self, "__dict__", None) or {})
        state.update(errno=self.errno, strerror=self.strerror)
        return (self.__class__, self.args, state)


for _cls in (StoryhashError, ArticleError, ConfigError, StoreError):
    _cls.__module__ = "storyhash"
