"""Errors shared by the App and the domain packages it calls (one module, so neither imports the other)."""

from __future__ import annotations


class Refused(Exception):
    """A command cannot act: the message says why (untrusted, no project, no env, a bad argument)."""
