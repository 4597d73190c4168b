"""Environment discovery: which env serves a project, found by reading files, never by running Python."""
