"""B1's second ceiling: a trivial JSON endpoint, served by the same process server and
settings as the services (`scripts/serve ADDRESS bench.trivial:app`, HTTP_SERVER)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return {"status": "ok"}
