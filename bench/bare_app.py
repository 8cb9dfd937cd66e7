"""The floors that bench/owner_put.py and bench/rfp.py measure the pod against:

- owner writes: PUT /data/profile parses the Turtle body with rdflib, answers 204;
- offers, messages and announcements: POST /replies/<token>, /replies/<token>/offers/<id>/thread
  and /announcements answer 202, 201 and 201 without checking or storing anything.

A Flask app under gunicorn with bench/minimal_app.py's settings (its MinimalServer: 2 asyncio
workers, the pod's timeout and access log). No token check, no SHACL validation, no database,
no audit event: what is left is the HTTP stack and the parse, which any pod must pay.

Run by bench/owner_put.py and bench/rfp.py:
    python bench/bare_app.py --port 8001 --workers 2
"""

from __future__ import annotations

import argparse
import secrets

from flask import Flask, Response, request
from minimal_app import MinimalServer
from rdflib import Graph

from pds.server.buffered import BufferedWSGI


def create_app() -> Flask:
    app = Flask(__name__)

    @app.put("/data/profile")
    def put_profile():
        # Relative IRIs resolve against the document's address, as in the pod.
        Graph().parse(data=request.get_data(), format="turtle", publicID=request.base_url)
        return Response(status=204)

    @app.get("/up")
    def up():
        return {"up": True}

    @app.post("/replies/<token>")
    def offer(token: str):
        request.get_data()
        return {"id": secrets.token_urlsafe(16), "status": "received"}, 202

    @app.post("/replies/<token>/offers/<offer_id>/thread")
    def message(token: str, offer_id: str):
        request.get_data()
        return {"id": secrets.token_urlsafe(12), "state": "open"}, 201

    @app.post("/announcements")
    def announce():
        request.get_data()
        return {"id": secrets.token_urlsafe(16)}, 201

    return app


class BareServer(MinimalServer):
    def load(self):
        return BufferedWSGI(create_app(), max_body_bytes=1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    BareServer(parser.parse_args()).run()


if __name__ == "__main__":
    main()
