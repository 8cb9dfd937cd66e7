"""Running the app under gunicorn from `pds serve`, with the pod's settings.

The app is built once, in the master, and the workers are forked from it: they start at once
and share the pages of the code and data they were forked with (a pod costs its machine about
one interpreter plus what each worker changes, not three interpreters). The master closes its
database connections before forking, so no worker inherits another's connection.
"""

from __future__ import annotations

import gc

from gunicorn.app.base import BaseApplication

from pds.consent import Pod
from pds.server.buffered import BufferedWSGI
from pds.settings import Settings


class PodServer(BaseApplication):
    def __init__(self, settings: Settings, pod: Pod):
        self.settings = settings
        self.pod = pod  # opened by `pds serve`: the app serves it
        super().__init__()

    def load_config(self) -> None:
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        for key, value in {
            "bind": f"{host}:{self.settings.port}",
            "workers": self.settings.workers,
            # asyncio workers read every connection at once and call the app (one request at
            # a time per process, see pds.server.buffered) only with a whole request: slow
            # clients cannot hold a worker.
            "worker_class": "asgi",
            "preload_app": True,
            # No control socket: pds needs none, and gunicorn's default path is shared by every
            # pod of the user (~/.gunicorn/gunicorn.ctl), in the image inside the data volume.
            "control_socket_disable": True,
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

        app = create_app(self.settings, pod=self.pod)
        # One request in the master, so that every worker starts with what the first request
        # loads (lazy imports, parsed shapes and purposes) already there, and shared.
        app.test_client().get("/.well-known/pds-configuration")
        self.pod.close()  # connections are opened again, per worker, after the fork
        # What exists now stays shared with the workers: the collector never touches it (and
        # so never copies its pages into a worker). `pds serve` turned the collector off while
        # this was built (see pds.cli.serving.serve); it runs again from here on, on newer
        # objects only.
        gc.freeze()
        gc.enable()
        return BufferedWSGI(app, self.settings.max_body_bytes)


def serve(settings: Settings, pod: Pod) -> None:
    PodServer(settings, pod).run()
