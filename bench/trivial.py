"""B1's second ceiling: a trivial JSON endpoint, served by the same gunicorn configuration
(`gunicorn -c deploy/gunicorn.conf.py bench.trivial:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return {"status": "ok"}
