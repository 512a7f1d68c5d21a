"""Roles: checked on every page and API call, inherited down the association tree."""
import pytest
from flask import g

from eventsapp.associations.models import AssociationKind, Role
from eventsapp.permissions import Action, association_ids_for, can
from tests.factories import AssociationFactory, UserFactory, staff


@pytest.fixture
def tree(db):
    union = AssociationFactory(slug="union", kind=AssociationKind.UNION)
    japan = AssociationFactory(slug="viet-nhat", parent=union)
    branch = AssociationFactory(slug="viet-nhat-yen-the", parent=japan, kind=AssociationKind.BRANCH)
    russia = AssociationFactory(slug="viet-nga", parent=union)
    return union, japan, branch, russia


def test_roles_are_inherited_by_branches_and_not_by_siblings(tree):
    union, japan, branch, russia = tree
    organiser = staff(japan, Role.ORGANISER)
    assert can(organiser, Action.MANAGE, japan)
    assert can(organiser, Action.MANAGE, branch)
    assert not can(organiser, Action.VIEW, russia)
    assert not can(organiser, Action.VIEW, union)
    assert association_ids_for(organiser, Action.MANAGE) == {japan.id, branch.id}


def test_each_role_allows_its_own_actions(tree):
    _, japan, _, _ = tree
    checkin = staff(japan, Role.CHECKIN)
    viewer = staff(japan, Role.VIEWER)
    assert can(checkin, Action.CHECKIN, japan) and not can(checkin, Action.MANAGE, japan)
    assert can(viewer, Action.VIEW, japan) and not can(viewer, Action.CHECKIN, japan)


def test_organiser_is_refused_on_another_associations_admin_page(client, auth, tree):
    _, japan, _, russia = tree
    auth.login(staff(japan, Role.ORGANISER))
    assert client.get("/associations/viet-nhat/members").status_code == 200
    refused = client.get("/associations/viet-nga/members")
    assert refused.status_code == 403
    assert "Bạn không có quyền" in refused.text
    assert client.get("/associations/viet-nga").status_code == 403


def test_organiser_cannot_remove_roles_in_another_association(client, auth, tree, db):
    from eventsapp.associations.models import Membership

    _, japan, _, russia = tree
    other = staff(russia, Role.ORGANISER)
    membership_id = other.memberships[0].id
    auth.login(staff(japan, Role.ORGANISER))
    response = auth.post(f"/associations/viet-nga/members/{membership_id}/remove",
                         form_url="/associations/viet-nhat/members")
    assert response.status_code == 403
    assert db.session.get(Membership, membership_id) is not None


def test_admin_pages_are_for_admins_only(client, auth, tree):
    _, japan, _, _ = tree
    auth.login(staff(japan, Role.ORGANISER))
    assert client.get("/admin/users").status_code == 403
    assert client.get("/associations/new").status_code == 403


def test_admin_manages_users_and_memberships(client, auth, tree, db):
    from eventsapp.auth.models import User

    _, japan, _, _ = tree
    auth.login(UserFactory(is_admin=True))
    response = auth.post("/admin/users/new", {
        "email": "Moi@Example.vn", "name": "Phạm Văn Mới", "password": "mat-khau-moi-1",
        "locale": "vi", "timezone": "Asia/Ho_Chi_Minh", "active": "y"})
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "moi@example.vn"))
    assert user is not None and user.check_password("mat-khau-moi-1")
    response = auth.post("/associations/viet-nhat/members", {"email": "moi@example.vn", "role": "checkin"})
    assert response.status_code == 302
    assert can(user, Action.CHECKIN, japan)


def test_pages_need_a_signed_in_user(client):
    response = client.get("/associations/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_api_needs_a_valid_bearer_token(client, api, tree):
    assert client.get("/api/v1/associations").status_code == 401
    bad = client.get("/api/v1/associations", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json["error"]["code"] == "invalid_token"


def test_the_api_ignores_a_signed_in_session_and_takes_the_tokens_user(client, auth, api, tree):
    _, japan, _, russia = tree
    auth.login(staff(russia))  # a browser session of another association's organiser
    assert auth.client.get("/associations/").status_code == 200
    g.pop("_login_user", None)  # the test's app context outlives the request
    refused = auth.client.get("/api/v1/associations")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "missing_token"
    viewer = api(staff(japan, Role.VIEWER))
    response = viewer.get("/api/v1/associations")
    assert sorted(a["slug"] for a in response.json["items"]) == ["viet-nhat", "viet-nhat-yen-the"]


def test_api_lists_only_the_users_associations(api, tree):
    _, japan, branch, _ = tree
    response = api(staff(japan, Role.VIEWER)).get("/api/v1/associations")
    assert response.status_code == 200
    assert sorted(a["slug"] for a in response.json["items"]) == ["viet-nhat", "viet-nhat-yen-the"]
    assert api(staff(japan)).get("/api/v1/associations/viet-nga").status_code == 403


def test_a_new_user_is_taken_straight_to_giving_a_role(client, auth, tree, db):
    """Without a role a new account sees nothing: after creating it the administrator lands on its roles."""
    import re

    from eventsapp.auth.models import User

    _, japan, _, _ = tree
    auth.login(UserFactory(is_admin=True))
    response = auth.post("/admin/users/new", {
        "email": "thu.ky@example.vn", "name": "Lê Thị Thư Ký", "password": "mat-khau-moi-1",
        "locale": "vi", "timezone": "Asia/Ho_Chi_Minh", "active": "y"}, follow_redirects=True)
    user = db.session.scalar(db.select(User).where(User.email == "thu.ky@example.vn"))
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    assert response.request.path == f"/admin/users/{user.id}/roles"
    assert "Đã tạo tài khoản. Hãy giao cho Lê Thị Thư Ký một vai trò trong một hội" in page
    assert "Chưa có vai trò nào" in page
    granted = auth.post(f"/admin/users/{user.id}/roles", {"association_id": japan.id, "role": "organiser"},
                        follow_redirects=True)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", granted.text))
    assert f"{japan.name_vi} · Người tổ chức" in page
    assert can(user, Action.MANAGE, japan)
    refused = auth.post(f"/admin/users/{user.id}/roles", {"association_id": "999999", "role": "organiser"})
    assert refused.status_code == 400 and "Xin chọn một hội trong danh sách." in refused.text
