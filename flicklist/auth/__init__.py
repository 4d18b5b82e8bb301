"""Accounts: register, log in, log out."""

from .views import bp as bp
