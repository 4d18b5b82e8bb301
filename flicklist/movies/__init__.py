from . import actions  # noqa: F401  (adds the movie actions to bp)
from .views import bp

__all__ = ["bp"]
