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
