"""venvkeeper: find, check and create each Python project's virtual environment."""

__version__ = "0.1.0"
