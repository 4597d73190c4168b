"""A command-line tool with no environment yet: venvkeeper reports it has none."""
