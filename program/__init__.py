"""The stack program's own modules: its config and its network."""
