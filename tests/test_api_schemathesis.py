"""Schemathesis against the app's own /api/v1/openapi.json: no 5xx, every status listed, every body
conforming to its schema. Bounded (a few examples per operation, derandomised) and self-contained:
each operation's test seeds its own data (tables are emptied after every test) and the mail goes
nowhere but the outbox table (no worker runs during these tests)."""
import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eventsapp.mail.models import MessageKind, OutboxMessage
from tests.attendance_factories import CheckInFactory
from tests.factories import (
    AssociationFactory,
    CampaignFactory,
    ContactFactory,
    EventFactory,
    InvitationFactory,
    UserFactory,
)

pytestmark = pytest.mark.slow  # hundreds of generated requests

EXAMPLES = 6  # per operation: about 40 operations, a few seconds of CPU in all
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app, client, db):
    """The OpenAPI document served by the app, with examples naming the seeded objects (so that the explicit
    phase reaches real ones, and not only 404s), bound to the app."""
    association = AssociationFactory(slug="viet-nhat")
    campaign = CampaignFactory(association=association)
    event = EventFactory(association=association, campaign=campaign, max_guests=2)
    for _ in range(3):
        invitation = InvitationFactory(event=event, contact=ContactFactory())
    CheckInFactory(event=event, contact=invitation.contact, invitation=invitation)
    db.session.add(OutboxMessage(kind=MessageKind.INVITATION, dedupe_key="seed", recipient=invitation.contact.email,
                                 invitation_id=invitation.id, event_id=event.id, send_id="seed-send"))
    db.session.commit()
    examples = {"event_id": event.id, "campaign_id": campaign.id, "contact_id": invitation.contact_id,
                "invitation_id": invitation.id, "checkin_id": 1, "rule_id": 1, "slug": "viet-nhat",
                "send_id": "seed-send", "token": invitation.checkin_token}
    document = client.get("/api/v1/openapi.json").json
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in examples and parameter["in"] in ("path", "query"):
                    parameter["example"] = examples[parameter["name"]]
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    return schema


@pytest.fixture
def admin_token(app, db):
    from eventsapp.auth.services import issue_api_token

    token = issue_api_token(UserFactory(is_admin=True))
    db.session.commit()
    return token


def test_api_conforms_to_its_openapi_document(api_schema, admin_token):
    """Every operation, a few derandomised valid and invalid requests each: no 5xx, only listed statuses,
    bodies as described."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures = []
    for result, mode in itertools.product(list(api_schema.get_all_operations()), GenerationMode):
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:  # noqa: BLE001  (every operation's failure is reported together)
            failures.append(f"{operation.label} ({mode.value}): {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)
