"""The ORDER BY of a sorted search, shared by the SQL backends."""

from __future__ import annotations


def order_by(key: str, id_column: str, sort_order: str, *, nulls_smallest: bool = False) -> str:
    """ORDER BY terms for a search sorted on column `key`, ties broken by `id_column` in the
    same direction (`sort_order` "asc", else descending). `nulls_smallest` spells out SQLite's
    rule (NULL sorts before every value) for a backend whose default differs (Postgres).

    Raises ValueError for a key that is not a plain column name (the protocol's sort keys
    all are)."""
    if not key.isidentifier():
        raise ValueError(f"not a sort key: {key!r}")
    direction = "ASC" if sort_order == "asc" else "DESC"
    if key == id_column:
        return f"{id_column} {direction}"
    nulls = ""
    if nulls_smallest:
        nulls = " NULLS FIRST" if direction == "ASC" else " NULLS LAST"
    return f"{key} {direction}{nulls}, {id_column} {direction}"
