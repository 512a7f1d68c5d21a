"""The API blueprint with every domain's routes, and its OpenAPI document."""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.yaml_utils import load_operations_from_docstring
from flask import current_app, jsonify

from ..blueprints import DOMAINS, optional_module
from ..extensions import csrf
from . import bp, schemas

for _domain in DOMAINS:
    optional_module(f"eventsapp.{_domain}.api")

csrf.exempt(bp)

_RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


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


def build_spec(app) -> dict:
    """OpenAPI 3 from the YAML after `---` in each API view's docstring, with the schemas of
    `eventsapp.api.schemas`."""
    spec = APISpec(
        title="eventsapp API",
        version="1.0.0",
        openapi_version="3.0.3",
        info={"description": "Campaigns, events, contacts, invitations, reminders and attendance. "
                             'Every error is {"error": {"code": "<string>", "message": "…", "fields": {…}}}.'},
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in schemas.SCHEMAS.items():
        spec.components.schema(name, schema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        view = app.view_functions[rule.endpoint]
        operations = load_operations_from_docstring(view.__doc__ or "")
        methods = {m.lower() for m in rule.methods} - {"head", "options"}
        operations = {m: op for m, op in operations.items() if m in methods}
        for method in methods - set(operations):
            summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
            operations[method] = {"summary": summary, "responses": {"200": {"description": "OK"}}}
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
