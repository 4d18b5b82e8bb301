"""Jinja filters and globals used by the templates."""

from urllib.parse import urlencode

from flask import Flask, request


def stars(rating_halves: int | None) -> str:
    """Half stars as the number people read: 7 -> "3.5", 8 -> "4"."""
    if rating_halves is None:
        return ""
    return f"{rating_halves / 2:g}"


LIST_PARAMETERS = ("q", "sort", "page")


def page_url(**changes: object) -> str:
    """The current list page's URL with some of q, sort and page changed.

    Other parameters are dropped: a list page depends on these three only, which
    lets list_cache keep it.
    """
    args = {
        key: value
        for key, value in request.args.items()
        if key in LIST_PARAMETERS and value
    }
    args.update({key: str(value) for key, value in changes.items() if value})
    for key, value in changes.items():
        if not value:
            args.pop(key, None)
    query = urlencode(args)
    return request.path + ("?" + query if query else "")


RATING_CHOICES = [f"{halves / 2:g}" for halves in range(1, 11)]


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(stars)
    app.add_template_global(page_url)
    app.add_template_global(RATING_CHOICES, "rating_choices")
