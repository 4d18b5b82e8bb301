"""Moving movies in and out: importing files, exporting CSV."""

from .views import bp as bp
