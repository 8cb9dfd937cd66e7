"""The floor for offers and announcements: Flask under the pod's serving model (bench/minimal_app's
gunicorn settings), answering 202/201 for a posted JWS without checking or storing anything.

Run by bench/rfp.py:
    python bench/bare_offer_app.py --port 8001
"""

from __future__ import annotations

import argparse
import secrets

from flask import Flask, request
from minimal_app import MinimalServer

from pds.server.buffered import BufferedWSGI


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/up")
    def up():
        return {"up": True}

    @app.post("/replies/<token>")
    def offer(token: str):
        request.get_data()
        return {"id": secrets.token_urlsafe(16), "status": "received"}, 202

    @app.post("/announcements")
    def announce():
        request.get_data()
        return {"id": secrets.token_urlsafe(16)}, 201

    return app


class BareOfferServer(MinimalServer):
    def load(self):
        return BufferedWSGI(create_app(), max_body_bytes=1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    BareOfferServer(parser.parse_args()).run()


if __name__ == "__main__":
    main()
