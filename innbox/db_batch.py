"""Several writes sent to the database as one SQL statement.

A hot path (a PMS event: a new guest, their reservation, its status transition) would otherwise
pay one round trip and one statement per write, and the writes depend on each other's ids. On
PostgreSQL a `Batch` sends them as one statement of data-modifying CTEs:

    WITH "w0" AS (INSERT INTO guests ... RETURNING id, pms_guest_id),
         "w1" AS (INSERT INTO reservations (..., guest_id)
                  VALUES (..., (SELECT id FROM "w0" WHERE pms_guest_id = 'G-77')) RETURNING id),
         "w2" AS (UPDATE ...)
    SELECT 0, id FROM "w0" UNION ALL SELECT 1, id FROM "w1"

Every part is compiled by Django's own compilers (field preparation, defaults, auto_now_add), so
a row is written exactly as bulk_create / bulk_update would write it; foreign keys are checked at
the end of the statement, when every part's rows exist. Other databases (SQLite) run the same
parts one after the other through the ORM.

A conditional insert (`insert(..., when=...)`) writes each row only where its condition holds
(INSERT ... SELECT ... WHERE), and with `ignore_conflicts` a unique key turns a repeat into
nothing: "queue this job unless the trip has one" in one statement instead of a read and a write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import BigIntegerField, Case, Model, Q, Value, When
from django.db.models.constants import OnConflict
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.db.models.sql import InsertQuery, Query, UpdateQuery


@dataclass(eq=False)
class _Insert:
    model: type[Model]
    objs: list[Model]
    key: str | None
    when: list[Q] | None
    ignore_conflicts: bool
    name: str = ""
    inserted: int = 0


@dataclass(eq=False)
class _Update:
    model: type[Model]
    objs: list[Model]
    fields: list[str]


class Batch:
    """Inserts and updates, in order, as one statement (PostgreSQL) or one after the other."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self._parts: list[_Insert | _Update] = []
        # (obj, its foreign key, the insert that writes the referenced object, that object)
        self._refs: list[tuple[Model, Any, _Insert, Model]] = []

    def insert(
        self,
        objs: Sequence[Model],
        *,
        key: str | None = None,
        when: Sequence[Q | Any] | None = None,
        ignore_conflicts: bool = False,
    ) -> _Insert:
        """Insert `objs` (all of one model). `key` names a field unique among them, by which
        later parts refer to their new ids; `when` gives each row a condition (a Q over other
        tables, e.g. Exists(...)) it is inserted under; `ignore_conflicts` skips rows a unique
        key refuses. Without `when` and `ignore_conflicts`, the objects get their primary keys."""
        objs = list(objs)
        if when is not None and len(when) != len(objs):
            raise ValueError("one condition per row")
        if key is not None and len({getattr(obj, key) for obj in objs}) != len(objs):
            raise ValueError(f"{key} must tell the rows apart")
        part = _Insert(
            model=type(objs[0]) if objs else Model,
            objs=objs,
            key=key,
            when=list(when) if when is not None else None,
            ignore_conflicts=ignore_conflicts,
        )
        if objs:
            self._parts.append(part)
        return part

    def refer(self, obj: Model, relation: str, target: Model, inserted: _Insert) -> None:
        """obj.<relation> is `target`, an object this batch inserts (in `inserted`, which has a
        key) in a part before obj's own (an insert or an update): its id is known only when the
        statement runs."""
        own = self._part_of(obj)
        if inserted.key is None or self._parts.index(inserted) >= self._parts.index(own):
            raise ValueError("refer to an earlier insert of this batch that has a key")
        fk = obj._meta.get_field(relation)
        self._refs.append((obj, fk, inserted, target))
        _point(obj, fk, target, None)

    def update(self, objs: Sequence[Model], fields: Sequence[str]) -> None:
        """Write `fields` of `objs` (all of one model, each with its primary key)."""
        objs = list(objs)
        if objs:
            self._parts.append(_Update(model=type(objs[0]), objs=objs, fields=list(fields)))

    def __bool__(self) -> bool:
        return bool(self._parts)

    def execute(self) -> None:
        if not self._parts:
            return
        if connections[self.using].vendor == "postgresql":
            self._execute_as_one_statement()
        else:
            self._execute_one_by_one()

    # --- PostgreSQL -------------------------------------------------------------------------

    def _execute_as_one_statement(self) -> None:
        connection = connections[self.using]
        qn = connection.ops.quote_name
        ctes, params, outputs = [], [], []
        for number, part in enumerate(self._parts):
            part_name = f"w{number}"
            if isinstance(part, _Insert):
                part.name = part_name
            for obj, fk, inserted, target in self._refs:
                if any(o is obj for o in part.objs):
                    setattr(obj, fk.attname, _pending_pk(inserted, target, qn))
            if isinstance(part, _Insert):
                sql, part_params = _insert_sql(part, connection)
                outputs.append(
                    f"SELECT {number}, {qn('id')}, "  # noqa: S608 - names from the models
                    + (f"{qn(part.key)}::text" if part.key else "NULL::text")
                    + f" FROM {qn(part_name)}"
                )
            else:
                sql, part_params = _update_sql(part, self.using)
            ctes.append(f"{qn(part_name)} AS ({sql})")
            params.extend(part_params)
        final = " UNION ALL ".join(outputs) if outputs else "SELECT NULL, NULL, NULL"
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} {final}", params)
            rows = cursor.fetchall()
        self._take_ids(rows)
        for obj, fk, _inserted, target in self._refs:
            _point(obj, fk, target, target.pk)

    def _take_ids(self, rows: list[tuple[Any, ...]]) -> None:
        by_part: dict[int, list[tuple[Any, Any]]] = {}
        for number, pk, key in rows:
            if number is not None:
                by_part.setdefault(number, []).append((pk, key))
        for number, part in enumerate(self._parts):
            if not isinstance(part, _Insert):
                continue
            returned = by_part.get(number, [])
            part.inserted = len(returned)
            if part.when is not None or part.ignore_conflicts:
                continue  # which rows went in is in `inserted`; their objects keep no id
            if part.key is not None:
                ids = {key: pk for pk, key in returned}
                for obj in part.objs:
                    obj.pk = ids[str(getattr(obj, part.key))]
            else:  # RETURNING gives the rows in VALUES order (Django's bulk_create relies on it)
                for obj, (pk, _key) in zip(part.objs, returned, strict=True):
                    obj.pk = pk
            for obj in part.objs:
                obj._state.adding, obj._state.db = False, self.using

    # --- others (SQLite) ---------------------------------------------------------------------

    def _execute_one_by_one(self) -> None:
        for part in self._parts:
            for obj, fk, _inserted, target in self._refs:
                if any(o is obj for o in part.objs):
                    _point(obj, fk, target, target.pk)
            if isinstance(part, _Update):
                part.model._base_manager.using(self.using).bulk_update(part.objs, part.fields)
                continue
            if part.when is None:
                created = part.model._base_manager.using(self.using).bulk_create(
                    part.objs, ignore_conflicts=part.ignore_conflicts
                )
                part.inserted = len(created)  # with ignore_conflicts: how many were offered
                continue
            sql, params = _insert_sql(part, connections[self.using])
            with connections[self.using].cursor() as cursor:
                cursor.execute(sql, params)
                part.inserted = len(cursor.fetchall())

    def _part_of(self, obj: Model) -> _Insert | _Update:
        for part in self._parts:
            if any(o is obj for o in part.objs):
                return part
        raise ValueError("refer() needs the object's own part in this batch first")


def _point(obj: Model, fk: Any, target: Model, pk: Any) -> None:
    # Setting the id drops the cached object; put it back, so obj.<relation> costs no query.
    setattr(obj, fk.attname, pk)
    fk.set_cached_value(obj, target)


def _pending_pk(inserted: _Insert, target: Model, qn: Any) -> RawSQL:
    assert inserted.key is not None
    # Names from the model and the batch; the key's value is a parameter.
    return RawSQL(  # noqa: S611
        f"(SELECT {qn('id')} FROM {qn(inserted.name)} WHERE {qn(inserted.key)} = %s)",  # noqa: S608
        [getattr(target, inserted.key)],
        output_field=BigIntegerField(),
    )


def _insert_fields(model: type[Model], objs: list[Model]) -> list[Any]:
    with_pk = all(obj.pk is not None for obj in objs)
    return [
        f
        for f in model._meta.concrete_fields
        if not getattr(f, "generated", False) and (with_pk or not f.primary_key)
    ]


def _insert_sql(part: _Insert, connection: Any) -> tuple[str, list[Any]]:
    model, objs = part.model, part.objs
    fields = _insert_fields(model, objs)
    returning = [model._meta.pk] + ([model._meta.get_field(part.key)] if part.key else [])
    if part.when is None:
        query = InsertQuery(model, on_conflict=OnConflict.IGNORE if part.ignore_conflicts else None)
        query.insert_values(fields, objs)
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = returning
        [(sql, params)] = compiler.as_sql()
        return sql, list(params)
    return _conditional_insert_sql(part, fields, returning, connection)


def _conditional_insert_sql(
    part: _Insert, fields: list[Any], returning: list[Any], connection: Any
) -> tuple[str, list[Any]]:
    """INSERT INTO t (...) SELECT <row 1> WHERE <condition 1> UNION ALL ... [ON CONFLICT DO
    NOTHING] RETURNING id: values cast to their columns' types on PostgreSQL (a SELECT list,
    unlike VALUES, does not take them from the target)."""
    qn = connection.ops.quote_name
    model = part.model
    insert = InsertQuery(model)
    insert.insert_values(fields, part.objs)
    compiler = insert.get_compiler(connection=connection)
    casts = connection.vendor == "postgresql"
    selects, params = [], []
    assert part.when is not None
    for obj, condition in zip(part.objs, part.when, strict=True):
        placeholders = []
        for f in fields:
            value = compiler.prepare_value(f, compiler.pre_save_val(f, obj))
            sql, value_params = compiler.field_as_sql(f, None, value)
            placeholders.append(f"CAST({sql} AS {f.cast_db_type(connection)})" if casts else sql)
            params.extend(value_params)
        where_sql, where_params = _where(model, condition, connection)
        selects.append(f"SELECT {', '.join(placeholders)} WHERE {where_sql}")
        params.extend(where_params)
    columns = ", ".join(qn(f.column) for f in fields)
    conflict = " ON CONFLICT DO NOTHING" if part.ignore_conflicts else ""
    back = ", ".join(qn(f.column) for f in returning)
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({columns}) "
        f"{' UNION ALL '.join(selects)}{conflict} RETURNING {back}"
    )
    return sql, params


def _where(model: type[Model], condition: Q, connection: Any) -> tuple[str, list[Any]]:
    """A condition that names no column of the row being inserted (Exists(...) of other rows),
    compiled on its own."""
    query = Query(model)
    where = query.build_where(condition)
    sql, params = where.as_sql(query.get_compiler(connection=connection), connection)
    return sql or "TRUE", list(params)


def _update_sql(part: _Update, using: str) -> tuple[str, list[Any]]:
    """bulk_update's statement (one CASE per field, cast on PostgreSQL), compiled, not run."""
    model, objs = part.model, part.objs
    connection = connections[using]
    opts = model._meta
    kwargs: dict[str, Any] = {}
    for name in part.fields:
        f = opts.get_field(name)
        if len(objs) == 1:
            value = getattr(objs[0], f.attname)  # type: ignore[union-attr]
            kwargs[f.attname] = value  # type: ignore[union-attr]
            continue
        whens = [
            When(
                pk=obj.pk,
                then=value
                if hasattr(value := getattr(obj, f.attname), "resolve_expression")  # type: ignore[union-attr]
                else Value(value, output_field=f),  # type: ignore[arg-type]
            )
            for obj in objs
        ]
        case: Any = Case(*whens, output_field=f)  # type: ignore[arg-type]
        if connection.features.requires_casted_case_in_updates:
            case = Cast(case, output_field=f)  # type: ignore[arg-type]
        kwargs[f.attname] = case  # type: ignore[union-attr]
    queryset = model._base_manager.using(using).filter(pk__in=[obj.pk for obj in objs])
    query: Any = queryset.query.chain(UpdateQuery)
    query.add_update_values(kwargs)
    sql, params = query.get_compiler(using).as_sql()
    return sql, list(params)
