"""Command-line tools for operating the deployed stack; run them with `python -m`."""
