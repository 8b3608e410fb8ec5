"""URLs name requests by reference; anything else is not a request (404 from the resolver,
before any query: a stray byte such as NUL never reaches the database)."""

from django.urls import register_converter

from .references import PATTERN


class ReferenceConverter:
    regex = PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "reference")
