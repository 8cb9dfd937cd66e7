"""The intent relay: a small server where pods announce published intents without saying
whose they are, vendors find them by category and country, and offers travel back to the pod
without the vendor learning which pod it is (docs/relay.md).

`create_relay_app` builds the Flask app; `run_relay` serves it with gunicorn.
"""

from pds.relay.app import create_relay_app
from pds.relay.limits import RelayLimits
from pds.relay.serve import RelaySettings, run_relay

__all__ = ["RelayLimits", "RelaySettings", "create_relay_app", "run_relay"]
