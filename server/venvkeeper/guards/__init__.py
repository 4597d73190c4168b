"""Guards: catch installs that land in the wrong interpreter, and envs that are broken or moved.

Everything here reads files only; no interpreter is ever spawned to find out (issue 5, env health).
"""
