"""Client library for vendors talking to a personal data pod (grows with the grants protocol)."""

__version__ = "0.1.0"
