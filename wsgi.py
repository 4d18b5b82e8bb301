"""What gunicorn runs in production: `gunicorn wsgi:app`."""

from config import ProductionConfig
from flicklist import create_app

app = create_app(ProductionConfig)
