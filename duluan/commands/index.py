"""CLI commands: index copy/reindex (the Elasticsearch issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root `duluan` app."""
