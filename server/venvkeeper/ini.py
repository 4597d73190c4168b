"""INI files (``setup.cfg``, PEP 668's ``EXTERNALLY-MANAGED``) read with configparser in linear time.

configparser matches each line with ``(?P<option>.*?)\\s*(?P<vi>[=:])\\s*(?P<value>.*)$``: the lazy
``.*?`` retries ``\\s*`` from every blank of a run, so one line of 32k blanks with no ``=`` after them
takes 24 s, and a 64 KiB file about four times that. We keep the library and collapse every run of
blanks *inside* a line (after its first non-blank character) to one space first: a line's indent,
which configparser uses to tell continuation lines, is kept; values lose only repeated inner blanks,
which no key or message we read depends on.
"""

from __future__ import annotations

import configparser
import re

# "\n" is excluded: configparser splits lines on it, and a run must not swallow the next line's indent.
_INNER_BLANKS_RE = re.compile(r"(?<=\S)[^\S\n]{2,}")


def parse_ini(text: str) -> configparser.ConfigParser:
    """``text`` parsed without interpolation; raises :class:`configparser.Error` like ``read_string``."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(_INNER_BLANKS_RE.sub(" ", text))
    return parser
