"""What gunicorn runs in production: `gunicorn wsgi:app`."""

import sys

from config import ProductionConfig
from flicklist import create_app
from flicklist.settings import SettingsError

try:
    app = create_app(ProductionConfig)
except SettingsError as error:
    # One clear line, not a traceback; gunicorn (preload_app) stops at once.
    sys.exit(f"error: {error}")
