"""Queries compiled once per process (issue 17, load).

Django compiles a queryset to SQL on every evaluation. For the few queries every request runs (the
session's user with its account) or that are large (an order's status page: one query over eight
tables), compiling cost more CPU than running them: 0.5 ms for the user, 2 ms for the order, each
time. `prepared_get` and `prepared_list` compile the query of a key once per process and database
connection, then run that SQL with the call's values and build the objects as a queryset does
(`ModelIterable`: the model, its `select_related` objects, its annotations); `prefetched` keeps a
list as a relation's prefetched rows, as `prefetch_related` does.

The query must have one shape for every call: `build(**values)` may use the values only as
parameters compared as they are (`pk=`, `account_id=`, `reference=`), never in the query's shape
(a branch on a value, a lookup that rewrites it such as `icontains`), and must not read anything
else that changes between calls (the clock, the language, a setting): the first call's SQL serves
every later one. Each value is found among the
compiled parameters by a sample of its type that nothing else uses; a value that cannot be found
there is refused when the query is compiled. A tuple of ids (`pk__in=ids`) is compiled once per
length. The query is compiled without a tenant scope
(`django_scopes`: a scoped manager would add the first caller's account as a parameter), so a query
of account data must filter on the account itself, as `accounts.access.get_for_account` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import MultipleObjectsReturned
from django.db import connections, models
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django_scopes import scopes_disabled

M = TypeVar("M", bound=models.Model)


# Samples of each type a value may have: values no caller passes (ids are positive, references
# have no NUL). Each value of a call gets its own; a tuple of ids (`pk__in=`) one per id.
def _int_sample(index: int, position: int = 0) -> int:
    return -1_000_000_007 - 10_000 * index - position


def _str_sample(index: int) -> str:
    return f"\x00prepared-{index}\x00"


class NotPreparable(ValueError):
    """The query of a key does not use its values as plain parameters."""


@dataclass(frozen=True)
class _Compiled:
    connection: Any  # the DatabaseWrapper it was compiled for (converters are bound to it)
    sql: str
    params: tuple[Any, ...]
    # (position among the parameters, name of the value, index in it when it is a tuple)
    slots: tuple[tuple[int, str, int | None], ...]
    compiler: SQLCompiler
    converters: dict[int, Any]
    model: type[models.Model]
    init_list: list[str]
    model_range: tuple[int, int]
    related_populators: list[Any]


_compiled: dict[tuple[str, str, tuple[int, ...]], _Compiled] = {}


def _samples(values: dict[str, Any]) -> tuple[dict[str, Any], dict[tuple[type, Any], tuple[str, int | None]]]:
    """A sample per value (a tuple of samples for a tuple of ints), and what each sample stands for."""
    samples: dict[str, Any] = {}
    meaning: dict[tuple[type, Any], tuple[str, int | None]] = {}
    for index, (name, value) in enumerate(sorted(values.items())):
        if isinstance(value, tuple) and value and all(type(item) is int for item in value):
            samples[name] = tuple(_int_sample(index, position) for position in range(len(value)))
            meaning.update({(int, sample): (name, position) for position, sample in enumerate(samples[name])})
        elif type(value) is int or type(value) is str:
            samples[name] = _int_sample(index) if type(value) is int else _str_sample(index)
            meaning[(type(value), samples[name])] = (name, None)
        else:
            raise NotPreparable(f"{name}: only int and str values, or a tuple of ints, are parameters here")
    return samples, meaning


def _compile(
    key: str, using: str, build: Callable[..., models.QuerySet[M]], values: dict[str, Any], limit: int | None
) -> _Compiled:
    samples, meaning = _samples(values)
    with scopes_disabled():
        queryset = build(**samples)
        if limit is not None:
            queryset = queryset[:limit]
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
    slots = tuple(
        (position, *meaning[(type(param), param)])
        for position, param in enumerate(params)
        if (type(param), param) in meaning
    )
    missing = set(meaning.values()) - {(name, index) for _position, name, index in slots}
    if missing or any(_str_sample(index) in sql for index in range(len(values))):
        raise NotPreparable(f"{key}: {sorted(missing) or 'a value'} is not a plain parameter of the query")
    select, klass_info = compiler.select, compiler.klass_info
    assert klass_info is not None
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    return _Compiled(
        connection=connections[using],
        sql=sql,
        params=tuple(params),
        slots=slots,
        compiler=compiler,
        converters=compiler.get_converters([column[0] for column in select[0 : compiler.col_count]]),
        model=klass_info["model"],
        init_list=[column[0].target.attname for column in select[start:end]],
        model_range=(start, end),
        related_populators=get_related_populators(klass_info, select, using),  # type: ignore[call-arg]  # stubs of Django 6
    )


def _run(
    key: str,
    model: type[M],
    build: Callable[..., models.QuerySet[M]],
    values: dict[str, Any],
    limit: int | None,
) -> list[M]:
    using = model._default_manager.db
    shape = (
        key,
        using,
        tuple(len(value) for _name, value in sorted(values.items()) if isinstance(value, tuple)),
    )
    compiled = _compiled.get(shape)
    if compiled is None or compiled.connection is not connections[using]:
        compiled = _compiled[shape] = _compile(key, using, build, values, limit)
    params = list(compiled.params)
    for position, name, index in compiled.slots:
        params[position] = values[name] if index is None else values[name][index]
    with compiled.connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows: Any = cursor.fetchall()
    if compiled.converters:
        rows = compiled.compiler.apply_converters(rows, compiled.converters)
    start, end = compiled.model_range
    annotations = (compiled.compiler.annotation_col_map or {}).items()
    objects: list[Any] = []
    for row in rows:
        obj = compiled.model.from_db(using, compiled.init_list, row[start:end])
        for populator in compiled.related_populators:
            populator.populate(row, obj)
        for name, position in annotations:
            setattr(obj, name, row[position])
        objects.append(obj)
    return objects  # klass_info's model is `model`


def prepared_get(
    key: str, model: type[M], build: Callable[..., models.QuerySet[M]], **values: Any
) -> M | None:
    """The one object of `build(**values)`, or None when there is none (`key` names the query's
    shape; `model` is the class it returns). More than one is an error, as for `get()`."""
    found = _run(key, model, build, values, limit=2)  # a second row tells a duplicate
    if len(found) > 1:
        raise MultipleObjectsReturned(f"{key}: more than one {model.__name__}")
    return found[0] if found else None


def prepared_list(
    key: str, model: type[M], build: Callable[..., models.QuerySet[M]], **values: Any
) -> list[M]:
    """The objects of `build(**values)`, in its order (`key` names the query's shape)."""
    return _run(key, model, build, values, limit=None)


def prefetched(instance: models.Model, name: str, rows: list[Any]) -> None:
    """Keep `rows` as `instance.<name>.all()` (a reverse foreign key), as `prefetch_related` does:
    later reads of the relation use them, a filter on it still queries; each row's own foreign key
    points back at `instance`."""
    manager = getattr(instance, name)
    queryset = manager.get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[manager.field.remote_field.cache_name] = queryset
    for row in rows:
        manager.field.set_cached_value(row, instance)
