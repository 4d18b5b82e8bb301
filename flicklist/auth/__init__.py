from . import account  # noqa: F401  (adds the account views to bp)
from .views import bp

__all__ = ["bp"]
