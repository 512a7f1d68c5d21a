"""Column types that behave the same on PostgreSQL and SQLite."""
from __future__ import annotations

import enum

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

from .timeutils import UTC


def EnumType(enum_class: type[enum.Enum]) -> Enum:
    """A portable enum column storing the members' values as strings."""
    return Enum(enum_class, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp stored in UTC on every backend.

    PostgreSQL keeps the zone; SQLite does not, so values are normalised to
    UTC on the way in and given back their UTC zone on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
