"""Database helpers that the ORM has no fast form for."""

from collections.abc import Iterable, Sequence

from django.db import connections, router


def update_each(
    model, *, fields: Sequence[str], keys: Sequence[str], rows: Iterable[Sequence]
) -> int:
    """UPDATE many rows of `model`, each to its own values, in one statement run many times.

    Each row gives the values of `fields`, then of `keys` (the WHERE clause, all equal). Returns
    the number of rows updated, so a caller can tell whether every key still matched.
    QuerySet.bulk_update builds a CASE expression per field and row, which costs seconds per few
    thousand rows; this sends one prepared UPDATE with a list of parameters instead.
    """
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    setters = [meta.get_field(name) for name in fields]
    matchers = [meta.get_field(name) for name in keys]
    # Only quoted names from the model's metadata go into the text; every value is a parameter.
    sql = "UPDATE {} SET {} WHERE {}".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in setters),
        " AND ".join(f"{quote(field.column)} = %s" for field in matchers),
    )
    columns = setters + matchers
    params = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(columns, row, strict=True)
        ]
        for row in rows
    ]
    if not params:
        return 0
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return cursor.rowcount


class CompiledQuery:
    """A read written with the ORM, compiled to SQL once; each call runs that SQL with its own
    values and returns the rows `values_list()` would.

    Building and compiling a QuerySet costs around a millisecond of CPU, several times what
    the database takes to answer a lookup by key; the few reads every order makes are worth
    compiling once per process. `build(**arguments)` returns a `values_list()` QuerySet of
    `model` (which picks the database, as the router would for the QuerySet); the
    arguments named in `ints` and `strs` are single values and those in `int_lists` lists of
    ints (one compiled form per length). Each is compiled with a distinctive sample value whose
    places among the query's parameters are then filled with the caller's values, so `build`
    must use each argument only as a lookup value (`filter(sku=sku)`), never to shape the
    query. Converters (decimals and dates on SQLite, say) apply as they would in the ORM.
    """

    SAMPLE_INT = 1_000_000_007  # within every backend's integer range, unlike any real key

    def __init__(self, model, build, *, ints=(), strs=(), int_lists=()):
        self.model, self.build = model, build
        self.ints, self.strs, self.int_lists = tuple(ints), tuple(strs), tuple(int_lists)
        self._compiled: dict[tuple, tuple] = {}

    def _samples(self, lengths: tuple[int, ...]) -> tuple[dict, dict]:
        counter = iter(range(self.SAMPLE_INT, self.SAMPLE_INT + 10_000))
        samples, places = {}, {}
        for name in self.ints:
            samples[name] = value = next(counter)
            places[(int, value)] = (name, None)
        for name in self.strs:
            samples[name] = value = f"mallkit:sample:{name}"
            places[(str, value)] = (name, None)
        for name, length in zip(self.int_lists, lengths, strict=True):
            samples[name] = values = [next(counter) for _ in range(length)]
            for index, value in enumerate(values):
                places[(int, value)] = (name, index)
        return samples, places

    def _compile(self, alias: str, lengths: tuple[int, ...]) -> tuple:
        samples, places = self._samples(lengths)
        queryset = self.build(**samples).using(alias)
        query = queryset.query
        if query.annotation_select or query.extra_select or not query.values_select:
            raise TypeError("CompiledQuery needs a values_list() QuerySet without annotations.")
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots, found = [], set()
        for position, value in enumerate(params):
            place = places.get((type(value), value))
            if place is not None:
                slots.append((position, *place))
                found.add(place)
        missing = set(places.values()) - found
        if missing:
            raise TypeError(f"CompiledQuery: no parameter carries {sorted(missing)}.")
        columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
        return sql, list(params), slots, converters

    def rows(self, **values) -> list[tuple]:
        """The rows for these values; an empty list argument matches nothing (no query)."""
        if any(not values[name] for name in self.int_lists):
            return []
        lengths = tuple(len(values[name]) for name in self.int_lists)
        alias = router.db_for_read(self.model)
        compiled = self._compiled.get((alias, lengths))
        if compiled is None:
            compiled = self._compiled[(alias, lengths)] = self._compile(alias, lengths)
        sql, params, slots, converters = compiled
        params = list(params)
        for position, name, index in slots:
            value = values[name] if index is None else values[name][index]
            # As the ORM would prepare them; a wrong type fails here, not in the database.
            params[position] = str(value) if name in self.strs else int(value)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted


# (model, alias, rows) -> (the INSERT, the fields it writes, the fields it returns)
_insert_sql: dict[tuple, tuple[str, list, list]] = {}


def insert(objects: Sequence) -> None:
    """INSERT new objects of one model in one statement and set their primary keys, as
    `bulk_create()` does, from SQL built once per model, database and number of rows.

    For the rows every order writes (the order, its lines and events, the stock movements and
    the payment): `bulk_create()` and `save()` rebuild their statement each time, which costs
    more CPU than the database spends on the insert. Fields get their values as in `save()`
    (defaults, `auto_now_add`, `pre_save()`). Like `bulk_create()`, it sends no save signals:
    use it for models no receiver of the shop's listens to.
    """
    if not objects:
        return
    model = type(objects[0])
    meta = model._meta
    alias = router.db_for_write(model)
    connection = connections[alias]
    if meta.parents or not connection.features.can_return_rows_from_bulk_insert:
        model.objects.using(alias).bulk_create(objects)
        return
    key = (model, alias, len(objects))
    built = _insert_sql.get(key)
    if built is None:
        quote = connection.ops.quote_name
        fields = [
            field
            for field in meta.local_concrete_fields
            if field is not meta.auto_field and not field.generated
        ]
        returning = list(meta.db_returning_fields)
        returning_sql, _params = connection.ops.return_insert_columns(returning)
        row = "({})".format(", ".join(["%s"] * len(fields)))
        # Only quoted names from the model's metadata go into the text; values are parameters.
        sql = "INSERT INTO {} ({}) VALUES {} {}".format(  # noqa: S608
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join([row] * len(objects)),
            returning_sql,
        )
        built = _insert_sql[key] = (sql, fields, returning)
    sql, fields, returning = built
    params = []
    for obj in objects:
        if type(obj) is not model or (meta.auto_field is not None and obj.pk is not None):
            raise TypeError("insert() takes new objects of one model, without primary keys.")
        # As save() and bulk_create() do: a related object saved since it was assigned gives
        # its key now; an unsaved one is refused.
        obj._prepare_related_fields_for_save(operation_name="insert")
        for field in fields:
            value = field.pre_save(obj, add=True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"insert() takes values, not expressions ({field.name}).")
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for obj, row in zip(objects, rows, strict=True):
        for field, value in zip(returning, row, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = alias


def loaded(model, db: str, values: dict):
    """An instance of `model` as the ORM loads it from `values` by attribute name (say from a
    CompiledQuery's row); attributes not given are deferred and load when first read."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    if len(names) != len(values):
        raise TypeError(f"Unknown attributes of {model.__name__}: {set(values) - set(names)}")
    return model.from_db(db, names, [values[name] for name in names])
