"""Export a whole pod to one archive, and import it into an empty pod, atomically.

The archive is a gzipped tar holding:

- ``manifest.json``: format, version, the pod's base URL, every resource path with its
  timestamps, and the SHA-256 of every other member;
- ``resources.trig``: every document as a named graph, named by its IRI;
- ``pod.json``: the pod's settings and owner credentials (hashes only);
- ``tables/<name>.json``: the rows of the other pod-keyed tables (tokens, audit, ...).

Import reads members into memory and never writes them to disk, so names like ``../x`` cannot
escape anywhere; they are refused anyway, as are links, unknown or missing members and any
mismatch with the manifest. Everything is validated before one transaction writes it all.
"""

from pds.archive.export import export_pod
from pds.archive.format import FORMAT, VERSION, ArchiveError, Progress
from pds.archive.importing import CheckedArchive, check_archive, import_pod, load_archive

__all__ = [
    "FORMAT",
    "VERSION",
    "ArchiveError",
    "CheckedArchive",
    "Progress",
    "check_archive",
    "export_pod",
    "import_pod",
    "load_archive",
]
