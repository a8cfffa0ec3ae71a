"""ccas: the command-line client of Hep.gg AI (stdlib + requests, no Flask)."""

__version__ = "0.1.0"
