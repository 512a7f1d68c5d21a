"""Reads on the hottest public paths (feed polls, RSVP pages), with as little work per request as possible.

`reader(app)` is a small autocommit engine: one round trip per read (no BEGIN, no pre-ping, no
ROLLBACK). `PreparedRead` runs one fixed statement on a pooled DBAPI connection of it: SQLAlchemy's
per-execution work (cache keys, parameter and result objects) costs as much as the round trip
itself, so only the SQL text comes from SQLAlchemy, compiled once per engine (the driver then
prepares it).
"""
from __future__ import annotations

import threading
from typing import Callable

from flask import Flask
from sqlalchemy import Engine, Select, create_engine
from sqlalchemy.exc import DBAPIError

_readers: dict[str, Engine] = {}
_readers_lock = threading.Lock()


def reader(app: Flask) -> Engine:
    """The application's serving engine (one per database URL and process)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = _readers.get(url)
    if engine is None:
        with _readers_lock:
            engine = _readers.get(url)
            if engine is None:
                engine = _readers[url] = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=2,
                                                       max_overflow=8, pool_recycle=1800)
    return engine


def read(engine: Engine, statement, parameters: dict | None = None):
    """The first row of a SQLAlchemy statement on the serving engine; a dropped connection is retried
    once on a fresh one."""
    for attempt in (1, 2):
        try:
            with engine.connect() as connection:
                return connection.execute(statement, parameters).first()
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise


class PreparedRead:
    """One fixed statement, run on a pooled DBAPI connection; its first row comes back as `row_type(*row)`.

    The statement must take and return plain values (text, numbers, booleans) or values used only
    for comparison (timestamps as versions): no type conversion happens, and drivers differ in the
    types they return.
    """

    def __init__(self, statement: Select, row_type: Callable = tuple):
        self.statement, self.row_type = statement, row_type
        self._compiled: dict[Engine, tuple[str, tuple | None]] = {}

    def first(self, engine: Engine, parameters: dict):
        sql, positions = self._compile(engine)
        values = [parameters[name] for name in positions] if positions else parameters
        for attempt in (1, 2):
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(sql, values)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
                return self.row_type(*row) if row else None
            except engine.dialect.loaded_dbapi.Error as error:
                if attempt == 2 or not engine.dialect.is_disconnect(error, connection.dbapi_connection, None):
                    raise
                # Dropped by the server, which usually means it restarted and every pooled connection
                # is dead: start a new pool (as SQLAlchemy does on a disconnect) and retry once.
                connection.invalidate()
                engine.dispose()
            finally:
                connection.close()
        return None

    def _compile(self, engine: Engine) -> tuple[str, tuple | None]:
        compiled = self._compiled.get(engine)
        if compiled is None:
            statement = self.statement.compile(dialect=engine.dialect)
            compiled = self._compiled[engine] = (statement.string, statement.positiontup)
        return compiled
