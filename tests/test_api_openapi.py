"""The OpenAPI document: every response has a schema, every operation lists its errors, no stray keys."""
from eventsapp.api import schemas

STANDARD_KEYS = {"summary", "description", "tags", "parameters", "requestBody", "responses", "security",
                 "operationId"}
RESPONSE_KEYS = {"description", "content", "headers"}


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_response_has_a_schema_and_every_error_is_listed(client, db):
    document = client.get("/api/v1/openapi.json").json
    assert set(schemas.SCHEMAS) <= set(document["components"]["schemas"])
    operations = dict(_operations(document))
    assert len(operations) > 30
    for label, operation in operations.items():
        assert set(operation) <= STANDARD_KEYS, (label, set(operation) - STANDARD_KEYS)
        for parameter in operation.get("parameters", []):
            assert set(parameter) <= {"name", "in", "required", "schema", "description"}, (label, parameter)
        responses = operation["responses"]
        for status in ("400", "401", "403"):
            assert status in responses, (label, status)
        if "{" in label:
            assert "404" in responses, label
        for status, response in responses.items():
            assert set(response) <= RESPONSE_KEYS, (label, status, response)
            if status != "204":
                assert "schema" in response["content"]["application/json"], (label, status)
            if status[0] in "45":
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_listed_errors_include_the_conflicts_and_unprocessable_ones(client, db):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    checkins = paths["/events/{event_id}/attendance/checkins"]["post"]["responses"]
    assert {"409", "422"} <= set(checkins)
    assert "422" in paths["/contacts/import"]["post"]["responses"]
    assert paths["/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"][
        "visibility"]["default"] == "invite_only"
