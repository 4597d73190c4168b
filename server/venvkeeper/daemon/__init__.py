"""One editor session of the daemon, without the protocol: what to re-check when, what to tell the
user and when to ask, and how a long operation runs — reported to a :class:`client.Client` that lsp/
implements with LSP messages (and tests with a list)."""
