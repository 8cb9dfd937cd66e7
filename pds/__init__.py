"""A personal data pod for Vendor Relationship Management."""

__version__ = "0.1.0"
