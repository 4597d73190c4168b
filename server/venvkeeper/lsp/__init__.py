"""The only package that imports pygls/lsprotocol: server wiring, protocol types and thin handlers."""
