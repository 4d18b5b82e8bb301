"""Rendered list pages, kept per worker process and keyed by the owner's list version.

The database bumps `user.list_version` on every change to a user's movies (the
triggers in flicklist/list_version.py), so a page keyed by it is never served stale,
and only ever to its owner. What is not the owner's list stays out of an entry: the
session's CSRF token is put in when the page is served, a page with flash
messages is never kept, and the page's links and return addresses are written from
the key alone (list_view), never from the query string of the request that filled it.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock

from flask import current_app, request, session
from flask_wtf.csrf import generate_csrf

from flicklist.extensions import db
from flicklist.list_version import triggers_present
from flicklist.models import User
from flicklist.timeutil import today

EXTENSION_KEY = "flicklist_list_cache"
# A kept page: its text split where the session's CSRF token goes, so that serving
# it to the session is a join (searching 50 KB for a slot cost more).
Page = tuple[str, ...]


class RenderedPageCache:
    """A small least-recently-used map, safe to share between a worker's threads."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self.entries: OrderedDict[Hashable, Page] = OrderedDict()
        self.lock = Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], Page]) -> Page:
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


def list_key(owner: User, *arguments: Hashable) -> tuple:
    """The key of a list page: everything the rendered page depends on.

    A new value the template reads must be among `arguments`, or pages go stale.
    The owner's account is its id and creation time (SQLite gives a deleted
    account's id to the next one, whose list_version starts at 0 again), and today's
    date is in the key because the add form's largest year depends on it. The
    script root (the WSGI server's SCRIPT_NAME) begins every URL on the page.
    """
    return (
        owner.id,
        owner.created_at,
        owner.list_version,
        *arguments,
        today(),
        request.script_root,
    )


def cached_list_page(key: tuple, render: Callable[[], str]) -> str:
    """The page for `key`, rendered by `render` only when it is not kept already."""
    # Flask has no public way to peek at pending flashes without taking them.
    if session.get("_flashes"):
        return render()  # a message to show once: nothing to keep
    if list_cache().max_entries <= 0:
        return render()
    token = generate_csrf()
    parts = list_cache().get_or_render(key, lambda: tuple(render().split(token)))
    return token.join(parts)
