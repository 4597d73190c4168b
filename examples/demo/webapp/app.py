"""A tiny web app whose interpreter venvkeeper finds: `venvkeeper which examples/demo/webapp/app.py`."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "hello"
