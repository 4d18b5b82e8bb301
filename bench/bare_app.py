"""The yardstick: a bare Flask app with one route, served like FlickList."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok() -> str:
    return "ok"
