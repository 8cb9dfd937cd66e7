"""Running the app under gunicorn from `pds serve`, with the pod's settings."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from pds.settings import Settings


class PodServer(BaseApplication):
    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        for key, value in {
            "bind": f"{host}:{self.settings.port}",
            "workers": self.settings.workers,
            # Sync workers, no threads: rdflib's SPARQL parser is not thread-safe, and
            # processes keep one slow request from holding up another.
            "worker_class": "sync",
            "timeout": 60,
            "graceful_timeout": 8,  # under docker stop's default 10 s
            "loglevel": self.settings.log_level.lower(),
            "accesslog": "-",
            # No query strings in the access log: they may carry filters the owner typed.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "forwarded_allow_ips": "*" if self.settings.trusted_proxies else "127.0.0.1",
        }.items():
            self.cfg.set(key, value)

    def load(self):
        from pds.server.app import create_app

        return create_app(self.settings)


def serve(settings: Settings) -> None:
    PodServer(settings).run()
