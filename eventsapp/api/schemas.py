"""The named schemas of the OpenAPI document (components/schemas), and the errors every operation lists.

A resource's marshmallow schema (see `eventsapp.api.resources`) is named here with `@component("Event")`
in its domain's `schemas.py`. The plain JSON Schema dicts below describe what is written by hand: the one
error shape (`eventsapp.api.api_error`), and the answer of the spreadsheet import, whose view is documented
by the YAML after `---` in its docstring (a multipart body) and names a schema there with the shorthand
`schema: ContactImport` (or `schema: [Name]` for `{items: [Name]}`). `eventsapp.api.views.build_spec` adds the error responses every operation can
give (400, 401, 403, 404; 413 when it takes a body).
"""
from __future__ import annotations

STR = {"type": "string"}
BOOL = {"type": "boolean"}


def component(name: str):
    """Class decorator: the marshmallow schema is `#/components/schemas/<name>` in the document."""
    def register(schema_class):
        SCHEMAS[name] = schema_class
        return schema_class
    return register


def obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    """An object schema; every listed property is required unless `required` says otherwise."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, **extra}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def items_of(name: str, **more) -> dict:
    return obj({"items": {"type": "array", "items": ref(name)}, **more})


SCHEMAS: dict[str, dict | type] = {  # a JSON Schema dict, or a marshmallow schema class (`@component`)
    "Error": obj({"error": obj({"code": STR, "message": STR,
                                "fields": {"type": "object", "additionalProperties": STR}})}),
    "ContactImport": obj({"dry_run": BOOL, "counts": {"type": "object"}, "imported": {"type": "object", "nullable": True},
                          "errors": {"type": "array", "items": {"type": "object"}}}),
}

# Every operation can answer these; each is an Error.
COMMON_ERRORS = {
    "400": "Invalid request: bad characters, bad JSON or bad values (error.fields names each field)",
    "401": "Missing, unknown or revoked bearer token",
    "403": "The caller's roles do not allow this",
    "404": "Unknown object (an id beyond the integer range is unknown too)",
}
BODY_ERRORS = {"413": "Request body too large"}
