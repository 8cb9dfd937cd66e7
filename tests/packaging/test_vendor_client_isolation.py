"""The vendor client ships on its own: it imports nothing of the server."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.packaging.dockerfile import ROOT


def test_vendor_client_imports_without_flask_or_the_server():
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys

        class ServerImportsRefused:
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] in {"flask", "werkzeug", "pds"}:
                    raise ImportError(f"vendor_client must not import {name}")
                return None

        sys.path.insert(0, sys.argv[1])  # this checkout, whatever the venv has installed
        sys.meta_path.insert(0, ServerImportsRefused())
        try:
            import flask
        except ImportError:
            pass
        else:
            sys.exit("the import blocker is not working")
        import vendor_client
        for module in pkgutil.walk_packages(vendor_client.__path__, "vendor_client."):
            importlib.import_module(module.name)
        print(sorted(name for name in sys.modules if name.startswith("vendor_client")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, ROOT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "'vendor_client'" in done.stdout
