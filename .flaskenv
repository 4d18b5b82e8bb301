# Read by the `flask` command (python-dotenv): plain `flask run` and `flask db upgrade`
# in the checkout use the development app, never wsgi.py's production one.
FLASK_APP=flicklist
