"""Running the app under gunicorn from `pds serve`, with the pod's settings.

The app is built once, in the master, and the workers are forked from it: they start at once
and share the pages of the code and data they were forked with (a pod costs its machine about
one interpreter plus what each worker changes, not three interpreters). The master closes its
database connections before forking, so no worker inherits another's connection.
"""

from __future__ import annotations

import gc

from gunicorn.app.base import BaseApplication

from pds.consent import Pod, Provider
from pds.server import logs, metrics_dir
from pds.server.buffered import BufferedWSGI, gunicorn_settings
from pds.settings import Settings


class PodServer(BaseApplication):
    def __init__(self, settings: Settings, pod: Pod | None, provider: Provider | None):
        self.settings = settings
        self.pod = pod  # opened by `pds serve`: the app serves it
        self.provider = provider  # or, in provider mode, every pod of the database
        super().__init__()

    def load_config(self) -> None:
        settings = self.settings
        for key, value in {
            **gunicorn_settings(
                settings.host,
                settings.port,
                settings.workers,
                settings.log_level,
                settings.trusted_proxies,
            ),
            # No query strings in the access log: they may carry filters the owner typed.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            **logs.gunicorn_settings(settings.log_format),
            "child_exit": metrics_dir.worker_exited,
        }.items():
            self.cfg.set(key, value)

    def load(self):
        from pds.server.app import create_app

        app = create_app(self.settings, pod=self.pod, provider=self.provider)
        # One request in the master, so that every worker starts with what the first request
        # loads (lazy imports, parsed shapes and purposes) already there, and shared.
        if self.pod is not None:
            app.test_client().get("/.well-known/pds-configuration")
            metrics_dir.forget_this_process()  # that request was no client's
            self.pod.close()  # connections are opened again, per worker, after the fork
        if self.provider is not None:
            self.provider.forget()
        # What exists now stays shared with the workers: the collector never touches it (and
        # so never copies its pages into a worker). `pds serve` turned the collector off while
        # this was built (see pds.cli.serving.serve); it runs again from here on, on newer
        # objects only.
        gc.freeze()
        gc.enable()
        return BufferedWSGI(app, self.settings.max_body_bytes)


def serve(settings: Settings, *, pod: Pod | None = None, provider: Provider | None = None) -> None:
    with metrics_dir.shared_directory():  # before the app (and prometheus_client) is loaded
        PodServer(settings, pod, provider).run()
