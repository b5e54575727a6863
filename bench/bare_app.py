"""A bare Flask app (no extensions, no request hooks) answering like /healthz.

bench/run.py measures it beside the real app's /healthz: the gap is what the app's shell
(sessions, login, locale selection, security headers, rate limiter) costs on every request.
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    return jsonify(status="ok")
