"""The customer's time zone: the page shows every time in it (stored times stay in UTC)."""

from __future__ import annotations

import zoneinfo
from functools import cache

from pds.consent.context import PodContext
from pds.consent.errors import InvalidInput
from pds.store import pods

DEFAULT = "UTC"


@cache
def known_zones() -> tuple[str, ...]:
    """IANA zone names this machine knows, sorted ('Europe/Berlin'...)."""
    return tuple(sorted(zoneinfo.available_timezones()))


class TimeZoneSetting:
    """Which zone the consent page shows times in; UTC until the customer chooses one."""

    def __init__(self, ctx: PodContext):
        self.ctx = ctx

    def current(self) -> zoneinfo.ZoneInfo:
        with self.ctx.store.read() as conn:
            name = pods.get(conn, self.ctx.id).settings.get("time_zone", DEFAULT)
        return zoneinfo.ZoneInfo(name if name in known_zones() else DEFAULT)

    def choose(self, name: str) -> zoneinfo.ZoneInfo:
        """Show times in `name` (an IANA zone such as 'Europe/Berlin'); InvalidInput else."""
        if name not in known_zones():
            raise InvalidInput(f"{name[:60]!r} is not a time zone this pod knows")
        with self.ctx.store.begin() as conn:
            settings = dict(pods.lock(conn, self.ctx.id).settings)
            settings["time_zone"] = name
            pods.update(conn, self.ctx.id, settings=settings)
        return zoneinfo.ZoneInfo(name)
