"""Campaign pages and API: dates proposed from the Vietnamese lunar calendar, schedule, permissions."""
from datetime import date, timedelta

from flask import g

from eventsapp.associations.models import Role
from eventsapp.campaigns.models import Campaign, CampaignKind, CampaignStatus
from tests.factories import AssociationFactory, CampaignFactory, EventFactory, staff


def test_new_tet_week_form_prefills_dates_from_the_lunar_calendar(auth, client, db):
    association = AssociationFactory()
    auth.login(staff(association))
    page = client.get("/campaigns/new?kind=tet_week&year=2027").text
    assert 'value="2027-02-03"' in page and 'value="2027-02-09"' in page  # Tết is 6 Feb 2027
    assert 'value="Tuần lễ Tết Việt 2027"' in page
    spring = client.get("/campaigns/new?kind=xuan_que_huong&year=2007").text
    assert 'value="2007-02-10"' in spring  # a week before the Vietnamese Tết (17 Feb 2007)


def test_propose_button_then_save(auth, client, db):
    association = AssociationFactory()
    auth.login(staff(association))
    data = {"association_id": association.id, "kind": "tet_week", "year": "1985", "title_vi": "", "propose": "1"}
    proposed = auth.post("/campaigns/new", data).text
    assert "21/01/1985" in proposed and 'value="1985-01-18"' in proposed
    assert db.session.query(Campaign).count() == 0
    saved = auth.post("/campaigns/new", {"association_id": association.id, "kind": "tet_week", "year": "1985",
                                        "title_vi": "", "save": "1"})
    assert saved.status_code == 302
    campaign = db.session.query(Campaign).one()
    assert (campaign.starts_on, campaign.ends_on) == (date(1985, 1, 18), date(1985, 1, 24))
    assert campaign.slug == "tuan-le-tet-viet-1985" and campaign.status == CampaignStatus.DRAFT


def test_validation_in_vietnamese(auth, db):
    association = AssociationFactory()
    auth.login(staff(association))
    page = auth.post("/campaigns/new", {"association_id": association.id, "kind": "other", "title_vi": "Từ thiện",
                                       "starts_on": "2027-03-10", "ends_on": "2027-03-01", "save": "1"}).text
    assert "Ngày cuối không được trước ngày đầu." in page
    assert db.session.query(Campaign).count() == 0


def test_campaign_page_shows_events_as_schedule_and_tabs(auth, client, db):
    association = AssociationFactory()
    auth.login(staff(association))
    campaign = CampaignFactory(association=association, title_vi="Tuần lễ Tết Việt 2027")
    first = EventFactory(association=association, campaign=campaign, title_vi="Khai mạc")
    EventFactory(association=association, campaign=campaign, title_vi="Hội chợ Xuân",
                 starts_at=first.starts_at + timedelta(days=1), ends_at=first.ends_at + timedelta(days=1))
    page = client.get(f"/campaigns/{campaign.id}").text
    assert page.index("Khai mạc") < page.index("Hội chợ Xuân")
    assert "campaign-schedule" in page and "Lịch trình" in page
    token_page = client.get(f"/campaigns/{campaign.id}")
    from tests.conftest import csrf_token_from

    token = csrf_token_from(token_page.text)
    assert client.post(f"/campaigns/{campaign.id}/publish", data={"csrf_token": token}).status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.PUBLISHED
    client.post(f"/campaigns/{campaign.id}/archive", data={"csrf_token": token})
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.ARCHIVED
    assert "Tuần lễ Tết Việt 2027" in client.get("/campaigns/").text


def test_permissions_on_campaigns(auth, client, api, db):
    mine, theirs = AssociationFactory(), AssociationFactory(slug="theirs")
    campaign = CampaignFactory(association=theirs)
    organiser = staff(mine)
    auth.login(organiser)
    assert client.get(f"/campaigns/{campaign.id}").status_code == 403
    assert client.get(f"/campaigns/{campaign.id}/edit").status_code == 403
    assert api(organiser).patch(f"/api/v1/campaigns/{campaign.id}", json={"title_vi": "X"}).status_code == 403
    viewer = staff(theirs, role=Role.VIEWER)
    auth.login(viewer)
    g.pop("_login_user", None)
    assert client.get(f"/campaigns/{campaign.id}").status_code == 200
    assert client.get(f"/campaigns/{campaign.id}/edit").status_code == 403
    assert client.get("/campaigns/new").status_code == 403


def test_campaign_api(api, db):
    association = AssociationFactory(slug="viet-han")
    client = api(staff(association))
    created = client.post("/api/v1/campaigns", json={"association": "viet-han", "kind": "tet_week", "year": 2028})
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["starts_on"], body["ends_on"]) == ("2028-01-23", "2028-01-29")  # Tết 26 Jan 2028
    assert body["title_vi"] == "Tuần lễ Tết Việt 2028"
    campaign_id = body["id"]
    assert client.patch(f"/api/v1/campaigns/{campaign_id}", json={"title_en": "Tet week"}).json["title_en"] == "Tet week"
    assert client.post(f"/api/v1/campaigns/{campaign_id}/publish").json["status"] == "published"
    assert client.post(f"/api/v1/campaigns/{campaign_id}/archive").json["status"] == "archived"
    assert client.patch(f"/api/v1/campaigns/{campaign_id}", json={"title_en": "x"}).status_code == 400
    assert [c["id"] for c in client.get("/api/v1/campaigns").json["items"]] == [campaign_id]
    bad = client.post("/api/v1/campaigns", json={"association": "viet-han", "kind": "other", "title_vi": "X",
                                                  "starts_on": "2027-13-01"})
    assert bad.status_code == 400
    assert CampaignKind.TET_WEEK.value == "tet_week"


def test_changed_year_then_propose_replaces_dates_and_the_proposed_title(auth, db):
    """The form already shows 2027's proposal; the organiser types 2028 and presses "propose":
    the date fields and the title she did not write herself follow 2028, and saving keeps them."""
    association = AssociationFactory()
    auth.login(staff(association))
    data = {"association_id": association.id, "kind": "tet_week", "year": "2028",
            "title_vi": "Tuần lễ Tết Việt 2027", "title_en": "Tết Việt Week 2027",
            "starts_on": "2027-02-03", "ends_on": "2027-02-09", "propose": "1"}
    page = auth.post("/campaigns/new", data).text
    assert "26/01/2028" in page
    assert 'value="2028-01-23"' in page and 'value="2028-01-29"' in page
    assert "2027-02-03" not in page and 'value="Tuần lễ Tết Việt 2028"' in page
    own = auth.post("/campaigns/new", {**data, "title_vi": "Tết của hội"}).text
    assert 'value="Tết của hội"' in own and 'value="2028-01-23"' in own


def test_new_campaign_and_event_forms_start_on_her_association_not_a_branch(auth, client, db):
    """Her association sorts after its branches ("Chi hội …" before "Hội …"): the forms still start on it."""
    import re

    parent = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Nhật Bản tỉnh Bắc Giang")
    AssociationFactory(name_vi="Chi hội Việt Nam – Nhật Bản huyện Lục Nam", parent=parent)
    AssociationFactory(name_vi="Chi hội Việt Nam – Nhật Bản huyện Yên Thế", parent=parent)
    auth.login(staff(parent))
    for url in ("/campaigns/new", "/events/new"):
        page = client.get(url).text
        selected = re.search(r'<select[^>]*name="association_id".*?<option selected value="(\d+)"', page, re.S)
        assert selected and int(selected.group(1)) == parent.id, url
