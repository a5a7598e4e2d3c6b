"""The operational database under test: a throwaway SQLite file always, and a throwaway
database on a real PostgreSQL when DULUAN_PG_URL is set (`make test` / scripts/test.sh starts
one on loopback when the Debian `postgresql` package is installed). Each test gets its own
database, created and dropped through that URL, so its user needs the CREATEDB right."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_SKIP = "DULUAN_PG_URL not set: PostgreSQL tests skipped (scripts/test.sh starts a server when postgresql is installed)"
DB_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]


def _pg_admin_url() -> str:
    url = os.environ.get("DULUAN_PG_URL", "")
    if not url:
        pytest.skip(PG_SKIP)
    return url


def _swap_db(url: str, name: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{name}"


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An SQLAlchemy URL of an empty operational database (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ops.db'}"
        return
    from sqlalchemy import create_engine, text

    admin = _pg_admin_url()
    name = f"duluan_t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _swap_db(admin, name)
    finally:
        with engine.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
