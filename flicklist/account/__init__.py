"""The account: password, sessions, deletion and the share link."""

from .views import bp as bp
