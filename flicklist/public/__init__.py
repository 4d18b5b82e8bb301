"""Pages open to everyone: the health check, the favicon and shared lists."""

from .views import bp as bp
