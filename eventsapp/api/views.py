"""The API blueprint with every domain's routes, and its OpenAPI document."""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from apispec.yaml_utils import load_operations_from_docstring
from flask import current_app, jsonify

from ..blueprints import DOMAINS, optional_module
from ..extensions import csrf
from . import bp, schemas

for _domain in DOMAINS:
    optional_module(f"eventsapp.{_domain}.api")

csrf.exempt(bp)

_RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_RULE_CONVERTER = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _responses(operation: dict, takes_body: bool, has_path_params: bool) -> dict:
    """The operation's responses with the `schema: Name` shorthand expanded, errors as `Error`,
    and the errors every operation can give listed."""
    responses = {}
    for status, response in (operation.get("responses") or {}).items():
        status = str(status)
        response = dict(response)
        name = response.pop("schema", None)
        if isinstance(name, list):
            response["content"] = _json(schemas.items_of(name[0]))
        elif name:
            response["content"] = _json(schemas.ref(name))
        elif status[0] in "45" and "content" not in response:
            response["content"] = _json(schemas.ref("Error"))
        responses[status] = response
    common = dict(schemas.COMMON_ERRORS) | (schemas.BODY_ERRORS if takes_body else {})
    if not has_path_params:
        common.pop("404")
    for status, description in common.items():
        responses.setdefault(status, {"description": description, "content": _json(schemas.ref("Error"))})
    return responses


def _schema_names():
    """apispec's name for a marshmallow schema: the name it was registered under, else none (inlined,
    e.g. a PATCH body's partial schema)."""
    names = {schema: name for name, schema in schemas.SCHEMAS.items() if isinstance(schema, type)}

    def name_of(schema):
        if not isinstance(schema, type) and (schema.partial or schema.exclude or schema.only):
            return None
        return names.get(resolve_schema_cls(schema))
    return name_of


def _path_parameters(rule) -> list[dict]:
    """The path's parameters as the rule declares them (every `<int:…>` is an id)."""
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "integer"} if converter == "int" else {"type": "string"}}
            for converter, name in _RULE_CONVERTER.findall(rule.rule)]


def _operations(view, rule, methods: set[str]) -> dict:
    """The operations of one rule: from `@operation` (eventsapp.api.resources), else the YAML after
    `---` in the docstring, else the docstring's first line."""
    documented = getattr(view, "openapi", None)
    if documented is not None:
        operation = dict(documented)
        operation["parameters"] = _path_parameters(rule) + list(documented.get("parameters", []))
        if not operation["parameters"]:
            del operation["parameters"]
        return {method: operation for method in methods}
    operations = load_operations_from_docstring(view.__doc__ or "")
    operations = {m: op for m, op in operations.items() if m in methods}
    for method in methods - set(operations):
        summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        operations[method] = {"summary": summary, "responses": {"200": {"description": "OK"}}}
    return operations


def build_spec(app) -> dict:
    """OpenAPI 3 from each API view's `@operation` (or the YAML after `---` in its docstring), with the
    schemas of `eventsapp.api.schemas` (marshmallow ones through apispec's MarshmallowPlugin)."""
    spec = APISpec(
        title="eventsapp API",
        version="1.0.0",
        openapi_version="3.0.3",
        info={"description": "Campaigns, events, contacts, invitations, reminders and attendance. "
                             'Every error is {"error": {"code": "<string>", "message": "…", "fields": {…}}}.'},
        servers=[{"url": "/api/v1"}],
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_names())],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in schemas.SCHEMAS.items():
        if isinstance(schema, type):
            spec.components.schema(name, schema=schema)
        else:
            spec.components.schema(name, schema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        methods = {m.lower() for m in rule.methods} - {"head", "options"}
        operations = _operations(app.view_functions[rule.endpoint], rule, methods)
        for method, operation in operations.items():
            operation["responses"] = _responses(operation, method in ("post", "put", "patch"),
                                                bool(rule.arguments))
        path = _RULE_ARGUMENT.sub(r"{\1}", rule.rule[len("/api/v1"):])
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of this API."""
    return jsonify(build_spec(current_app))
