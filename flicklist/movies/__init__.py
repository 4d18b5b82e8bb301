from . import actions, stats, transfer  # noqa: F401  (add their views to bp)
from .views import bp

__all__ = ["bp"]
