"""The schema layer of the API: one marshmallow schema per resource, for reading requests, writing
answers and the OpenAPI document alike.

- `Schema`: the base of every resource's schema (unknown keys are ignored, as the API always did).
- `load(schema, data)`: a request's values checked by the schema, or a 400 in the one error shape
  naming every bad field.
- `@operation(...)`: on a view, under the route, what the OpenAPI document says of it (body, query,
  answers by status, tags); the view's docstring gives the summary (first line) and the description.
  A view returning an object (or `(object, status)`) is answered with that status's schema, so the
  answer and its documentation cannot drift apart.
- `Extended(obj, **more)`: an object with a few values beside its attributes (what a schema dumps
  that the model does not hold: an invitation's latest e-mail, the changes a PATCH recorded).

`eventsapp.api.views.build_spec` turns the operations into the document with apispec's MarshmallowPlugin.
"""
from __future__ import annotations

from functools import wraps

from flask import Response, abort
from marshmallow import EXCLUDE, ValidationError
from marshmallow import Schema as _Schema
from marshmallow import fields as ma_fields

from ..i18n import gettext as _
from . import api_error


class Schema(_Schema):
    """Base of the API's schemas: keys a schema does not know are left out, not refused."""

    class Meta:
        unknown = EXCLUDE


def _first_message(messages) -> str:
    """The first message of a field's errors (marshmallow nests a list's by index)."""
    if isinstance(messages, dict):
        return _first_message(next(iter(messages.values())))
    if isinstance(messages, list):
        return _first_message(messages[0])
    return str(messages)


def refuse(errors: dict) -> None:
    """Abort with a 400 naming every bad field (`{field: message}`), summarised by the first one."""
    errors = {name: _first_message(message) for name, message in errors.items()}
    name, message = next(iter(errors.items()))
    abort(api_error(400, "invalid", _("%(field)s: %(message)s", field=name, message=message), fields=errors))


def load(schema: _Schema, data: dict) -> dict:
    """`data` (a request's JSON object or query) checked by `schema`: the values, or a 400 naming every bad field."""
    try:
        return schema.load(data)
    except ValidationError as error:
        refuse(error.normalized_messages())


class Extended:
    """`obj` with more values beside its own attributes, for a schema to dump."""

    def __init__(self, obj, **more):
        self._obj = obj
        self.__dict__.update(more)

    def __getattr__(self, name):
        return getattr(self._obj, name)


def page_of(schema: type[_Schema], **more) -> type[_Schema]:
    """The schema of `{items: [schema], **more}` (more: other fields, e.g. `next_cursor`)."""
    return Schema.from_dict({"items": ma_fields.List(ma_fields.Nested(schema), required=True), **more},
                            name=f"{schema.__name__}Page")


def operation(*, tags: list[str], responses: dict, body=None, example=None, query=None):
    """Document a view: `responses` maps a status to a description, a schema, or both as a pair
    (`{201: ("The event", Event), 400: "Invalid values"}`); `body` is the JSON body's schema (with an
    `example`), `query` the schema of the query string. What the view returns is dumped with the marshmallow
    schema of its status (a JSON Schema dict, e.g. `schemas.ref(…)`, only documents: the answer goes as is)."""
    answers = {int(status): _as_pair(value) for status, value in responses.items()}

    def decorate(view):
        doc = {"tags": tags, "responses": {}}
        lines = (view.__doc__ or "").strip().splitlines()
        if lines:
            doc["summary"] = lines[0].rstrip(".")
            if len(lines) > 1 and " ".join(lines[1:]).strip():
                doc["description"] = " ".join(line.strip() for line in lines[1:]).strip()
        for status, (description, schema) in answers.items():
            doc["responses"][str(status)] = {"description": description or doc.get("summary", "")} | (
                {"content": {"application/json": {"schema": schema}}} if schema is not None else {})
        if body is not None:
            doc["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": _as_sent(body), **({"example": example} if example is not None else {})}}}
        if query is not None:
            doc["parameters"] = [{"in": "query", "schema": query}]

        @wraps(view)
        def answer(*args, **kwargs):
            result = view(*args, **kwargs)
            if isinstance(result, Response):
                return result
            value, status = result if isinstance(result, tuple) else (result, _success(answers))
            schema = answers.get(status, (None, None))[1]
            if isinstance(schema, type) and issubclass(schema, _Schema):
                schema = schema()
            if not isinstance(schema, _Schema):  # none, or a JSON Schema dict of eventsapp.api.schemas
                return value, status
            return schema.dump(value), status

        answer.openapi = doc
        return answer

    return decorate


def _as_sent(schema) -> _Schema:
    """A body's schema as clients send it: without the fields only answered (ids, states…), written out in
    the operation (not a reference to the resource's answer)."""
    instance = schema() if isinstance(schema, type) else schema
    answered = {name for name, field in instance.fields.items() if field.dump_only}
    return type(instance)(exclude=tuple(set(instance.exclude) | answered), partial=instance.partial)


def _as_pair(value) -> tuple[str | None, object]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, str):
        return value, None
    return None, value


def _success(answers: dict) -> int:
    return min((status for status in answers if status < 300), default=200)
