"""Starts the venvkeeper server from the extension's bundled libs.

Run as ``python -I launch.py serve``: isolated mode ignores PYTHONPATH, PYTHONHOME and the user's
site-packages, so nothing the user installed can shadow the bundled pygls/lsprotocol. The bundled
libs go first on sys.path; in a development checkout (no bundled libs) the repo's server/ is used.
"""

import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXTENSION = os.path.dirname(HERE)
LIBS = os.path.join(EXTENSION, "bundled", "libs")
DEV_SERVER = os.path.join(os.path.dirname(EXTENSION), "server")

if os.path.isdir(os.path.join(LIBS, "venvkeeper")):
    sys.path.insert(0, LIBS)
elif os.path.isdir(os.path.join(DEV_SERVER, "venvkeeper")):
    sys.path.insert(0, DEV_SERVER)

sys.argv = ["venvkeeper", *sys.argv[1:]]
runpy.run_module("venvkeeper", run_name="__main__", alter_sys=True)
