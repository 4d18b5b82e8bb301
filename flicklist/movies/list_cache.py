"""Rendered list pages, kept per worker process and keyed by the owner's list version.

The database bumps `user.list_version` on every change to a user's movies (triggers,
migration 0004), and the user loader reads it with the session. A key holds the
owner's account (id and creation time, as SQLite may give a deleted account's id to
the next one) and that version, so an entry is only ever served to its owner, and never
once the list has changed: a change makes a new key, and old keys age out. What is
not the owner's list stays out of an entry: the session's CSRF token is put in when
the page is served, and a page with flash messages is never kept.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock

from flask import current_app

from flicklist.extensions import db
from flicklist.list_version import triggers_present

EXTENSION_KEY = "flicklist_list_cache"


class RenderedPageCache:
    """A small least-recently-used map, safe to share between a worker's threads."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self.entries: OrderedDict[Hashable, str] = OrderedDict()
        self.lock = Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        if self.max_entries <= 0:
            return render()
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
                return found
        rendered = render()
        with self.lock:
            self.entries[key] = rendered
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)
        return rendered


def list_cache() -> RenderedPageCache:
    """This app's cache, made on first use and sized by LIST_CACHE_ENTRIES.

    Without the triggers that keep list versions true (a database made some other
    way than by the migrations or create_all) the cache stays off.
    """
    extensions = current_app.extensions
    cache = extensions.get(EXTENSION_KEY)
    if cache is None:
        entries = int(current_app.config["LIST_CACHE_ENTRIES"])
        if entries and not triggers_present(db.session.connection()):
            current_app.logger.warning(
                "list cache off: the list_version triggers are missing "
                "(run flask --app flicklist db upgrade)"
            )
            entries = 0
        cache = extensions[EXTENSION_KEY] = RenderedPageCache(entries)
    return cache
