"""Prepared statements for the hottest path: a Core statement compiled once per dialect and
run on the connection's DBAPI cursor.

The recipients' scan (donations.scans.service) runs about eight short statements per
request. Through SQLAlchemy's execution layer each of them costs several times what the
database spends on it: a cache key, an execution context, result metadata, events. A
`Prepared` statement keeps what matters from that layer and drops the rest:

- the SQL is SQLAlchemy's, compiled once for the dialect in use (SQLite or PostgreSQL, with
  its paramstyle, `FOR UPDATE` clauses and casts), so the model stays the one source of
  table and column names;
- parameters and results go through the columns' own type conversions (`bind_processor`
  and `result_processor`, as SQLAlchemy applies them), so a UTC timestamp or a JSON
  document is stored and read exactly as the ORM stores and reads it;
- a driver error is raised as SQLAlchemy's (`IntegrityError`, `OperationalError`, ...),
  which the app's error handlers answer.

The statement runs in the SQLAlchemy `Connection`'s transaction: begin, commit and
rollback stay SQLAlchemy's. Statements take named parameters only (`bindparam("tag")`);
constants such as `LIMIT 1` are compiled in with their values. What is dropped includes
SQLAlchemy's statement events and its SQL echo: these statements do not appear there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


class Prepared:
    """One statement, compiled the first time it runs on a dialect."""

    def __init__(self, statement: ClauseElement, *, columns: Sequence[str] = ()) -> None:
        """`columns`: for an INSERT or UPDATE, the columns it sets, each from the parameter
        of the same name."""
        self.statement = statement
        self.columns = list(columns)
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self.statement, dialect, self.columns)
        return compiled

    def first(self, conn: Connection, **params: Any) -> tuple[Any, ...] | None:
        """The first row (converted by the columns' types), or None."""
        compiled = self._for(conn.dialect)
        cursor = compiled.execute(conn, params)
        try:
            row = cursor.fetchone()
            return None if row is None else compiled.convert(cursor, row)
        finally:
            cursor.close()

    def scalar(self, conn: Connection, **params: Any) -> Any:
        """The first column of the first row, or None."""
        row = self.first(conn, **params)
        return None if row is None else row[0]

    def run(self, conn: Connection, **params: Any) -> int:
        """Run a statement without rows (an INSERT or UPDATE); the number of rows it changed."""
        cursor = self._for(conn.dialect).execute(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def sql(self, dialect: Dialect) -> str:
        """The SQL as it is sent to this dialect's driver."""
        return self._for(dialect).sql


class _Compiled:
    def __init__(self, statement: ClauseElement, dialect: Dialect, columns: list[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=columns or None)
        assert isinstance(compiled, SQLCompiler)
        # What SQLAlchemy would do at execution time and this does not: refuse it here.
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise exc.ArgumentError(
                "a column with a Python-side default is not set: give it in `columns`"
            )
        if compiled.post_compile_params or compiled.escaped_bind_names:
            raise exc.ArgumentError("expanding IN and escaped parameter names are not supported")
        self.dialect = dialect
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        self.names: Sequence[str] = (
            list(compiled.positiontup or ()) if self.positional else list(binds)
        )
        self.defaults: dict[str, Any] = {}  # constants compiled in (LIMIT 1): their values
        self.processors: dict[str, Processor] = {}
        for name in self.names:
            bind = binds[name]
            if name not in columns and not bind.required:
                self.defaults[name] = bind.value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor
        self.selected: Sequence[ColumnElement[Any]] = getattr(statement, "selected_columns", ())
        # Made from the first result's description: a driver may need the column's type
        # code (psycopg does, for floats).
        self.results: list[Processor | None] | None = None

    def parameters(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {}
        for name in self.names:
            try:
                value = params[name]
            except KeyError:
                if name not in self.defaults:
                    raise exc.ArgumentError(f"no value for the parameter {name!r}") from None
                value = self.defaults[name]
            processor = self.processors.get(name)
            values[name] = processor(value) if processor is not None else value
        if self.positional:
            return [values[name] for name in self.names]
        return values

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        if not conn.in_transaction():  # the driver would run it in autocommit
            raise exc.InvalidRequestError("a prepared statement runs in a transaction")
        parameters = self.parameters(params)
        dbapi = self.dialect.loaded_dbapi
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, parameters)
        except dbapi.Error as error:
            cursor.close()
            raise exc.DBAPIError.instance(
                self.sql, parameters, error, dbapi.Error, dialect=self.dialect
            ) from error
        return cursor

    def convert(self, cursor: Any, row: Sequence[Any]) -> tuple[Any, ...]:
        results = self.results
        if results is None:
            processors: list[Processor | None] = [
                column.type.dialect_impl(self.dialect).result_processor(self.dialect, described[1])
                for column, described in zip(self.selected, cursor.description, strict=True)
            ]
            results = self.results = processors if any(processors) else []
        if not results:  # nothing to convert
            return tuple(row)
        return tuple(
            value if processor is None or value is None else processor(value)
            for processor, value in zip(results, row, strict=True)
        )
