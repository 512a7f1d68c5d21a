"""Command line: seed-demo (idempotent), users create, users token."""
from sqlalchemy import func, select

from eventsapp.associations.models import Association, Membership
from eventsapp.auth.models import User


def counts(db):
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Association, User, Membership))


def test_seed_demo_is_idempotent(runner, db):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.eventsapp.vn" in first.output
    after_first = counts(db)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert counts(db) == after_first
    union = db.session.scalar(select(Association).where(Association.slug == "lhhn-bac-giang"))
    assert union.name_vi == "Liên hiệp các tổ chức hữu nghị tỉnh Bắc Giang"
    assert len(union.children) == 9


def test_users_create_and_token_give_api_access(runner, client, db):
    result = runner.invoke(args=["users", "create", "ops@example.vn", "--admin", "--password", "mat-khau-dai-1"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["users", "create", "ops@example.vn", "--password", "mat-khau-dai-1"])
    assert again.exit_code != 0 and "Đã có tài khoản cho ops@example.vn" in again.output
    token = runner.invoke(args=["users", "token", "ops@example.vn"]).output.strip()
    response = client.get("/api/v1/associations", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_openapi_document_lists_the_api(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "/associations" in document["paths"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
