"""Make Great Expectations 1.24 work on DuckDB, quietly and offline.

GX's SQL execution engine opens a fresh SQLAlchemy connection for each metric
batch and closes it (rolling back) before the results are read; on DuckDB the
results then come back empty and every expectation fails with an IndexError
(upstream issues #10738, #11579). GX already keeps one persisted connection for
SQLite and SQL Server for the same kind of reason, so we add DuckDB to that list.
``tests/test_quality.py`` fails if GX's behaviour changes, in either direction.

We also hand GX a cursor of the pipeline's own DuckDB connection, because a
second connection to the same database file is refused ("different
configuration"), and a cursor sees the tables the loader has just written.
"""

from __future__ import annotations

import enum
import logging
import os
from typing import Any

import duckdb

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


class _DuckDBDialect(enum.StrEnum):
    """GX compares dialect names as strings but also reads ``.value``: a str enum is both."""

    DUCKDB = "duckdb"


_patched = False


def persist_duckdb_connections() -> None:
    """Add DuckDB to GX's persisted-connection dialects (idempotent)."""
    global _patched
    if _patched:
        return
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    if _DuckDBDialect.DUCKDB not in engine._PERSISTED_CONNECTION_DIALECTS:
        engine._PERSISTED_CONNECTION_DIALECTS = (*engine._PERSISTED_CONNECTION_DIALECTS, _DuckDBDialect.DUCKDB)
    _patched = True


def ephemeral_context() -> Any:
    """An in-memory GX context: no project folder, no analytics, no progress bars."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    config = DataContextConfig(
        # No docs site: GX would otherwise reserve a temporary folder for one.
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def duckdb_datasource(context: Any, con: duckdb.DuckDBPyConnection, name: str = "extract") -> Any:
    """A GX SQL datasource that runs every query on a cursor of ``con``."""
    import duckdb_engine

    persist_duckdb_connections()
    return context.data_sources.add_sql(
        name=name,
        connection_string="duckdb:///:memory:",
        kwargs={"creator": lambda: duckdb_engine.ConnectionWrapper(con.cursor())},
    )


def roll_back(source: Any) -> None:
    """Roll back the datasource's persisted connection after a query that failed.

    DuckDB leaves a transaction aborted by an error until it is rolled back, and GX's recovery covers
    SQLAlchemy's invalid-transaction state only: without this, every expectation after a failing one
    would fail too ("Current transaction is aborted").
    """
    connection = getattr(source.get_execution_engine(), "_connection", None)
    if connection is not None:
        connection.rollback()
