"""The ``qnp`` command line: engine commands here, extra groups (``qnp runs``) mounted by entry point."""

from qnp_engine.cli.main import app, main

__all__ = ["app", "main"]
