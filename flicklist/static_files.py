"""Static file URLs carrying a hash of the file, so caches may keep them a year."""

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask


@cache
def file_version(path: Path, _mtime: float) -> str:
    """The first 12 hex digits of the file's SHA-256 (cached per modification time)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def register_static_versions(app: Flask) -> None:
    """`url_for('static', ...)` adds `?v=<hash>`: a changed file gets a new URL."""
    folder = Path(app.static_folder or "")
    # Outside debug the files change only with a deploy (and a restart), so one
    # look per file is enough; in debug each url_for looks at the file again.
    known: dict[str, str | None] = {}

    def version(filename: str) -> str | None:
        path = folder / filename
        return file_version(path, path.stat().st_mtime) if path.is_file() else None

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or "v" in values or "filename" not in values:
            return
        filename = values["filename"]
        if app.debug:
            found = version(filename)
        elif filename in known:
            found = known[filename]
        else:
            found = known[filename] = version(filename)
        if found:
            values["v"] = found
