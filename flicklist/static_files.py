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

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or "v" in values or "filename" not in values:
            return
        path = folder / values["filename"]
        if path.is_file():
            values["v"] = file_version(path, path.stat().st_mtime)
