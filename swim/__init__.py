"""SWiM — Sharing without Merging."""

__version__ = "0.1.0"
