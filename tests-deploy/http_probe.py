"""A WSGI application that tells what the process server gave it (test_http_server.py)."""

import json
import os
import time


def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(2)
    body = json.dumps({
        "remote_addr": environ.get("REMOTE_ADDR"),
        "keys": sorted(environ),
        "pid": os.getpid(),
        "metrics_dir": os.environ.get("PROMETHEUS_MULTIPROC_DIR"),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
