from . import account, share  # noqa: F401  (add the account and share views to bp)
from .views import bp

__all__ = ["bp"]
