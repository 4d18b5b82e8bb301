"""The stats page: counts, ratings and films watched a month, drawn as SVG."""

from .views import bp as bp
