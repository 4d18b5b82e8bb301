"""Each person's movies: the lists, adding, and one movie's page and actions."""

from .views import bp as bp
