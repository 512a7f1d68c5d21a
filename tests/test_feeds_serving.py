"""Serving stored feeds: ETag/Last-Modified/304, cache headers, revocation, and the staff page."""
from __future__ import annotations

from urllib.parse import unquote

from flask import g

from eventsapp import links
from eventsapp.associations.models import Role
from eventsapp.campaigns.models import CampaignStatus
from eventsapp.extensions import db
from eventsapp.feeds import services
from eventsapp.feeds.models import Feed, FeedKind
from tests.factories import AssociationFactory, ContactFactory, EventFactory, staff
from tests.feeds_support import change_event


def login(auth, user) -> None:
    """Sign in as `user`; the tests share one app context, so forget the user Flask-Login cached in `g`."""
    auth.login(user)


def path(url: str) -> str:
    return url.replace("http://eventsapp.test", "")


def private_and_personal_feeds():
    """An association with an event, a contact, and the paths of their private and personal feeds."""
    association = AssociationFactory()
    contact = ContactFactory()
    EventFactory(association=association)
    return (association, contact, path(links.association_private_feed_url(association)),
            path(links.personal_feed_url(contact)))


def test_etag_and_conditional_requests(client):
    association = AssociationFactory()
    EventFactory(association=association)
    url = path(links.association_feed_url(association))

    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, max-age=300"

    same = client.get(url)
    assert same.headers["ETag"] == etag and same.data == first.data

    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag

    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_a_rebuild_with_the_same_content_keeps_the_etag_and_a_change_gives_a_new_one(client):
    association = AssociationFactory()
    event = EventFactory(association=association)
    url = path(links.association_feed_url(association))
    etag = client.get(url).headers["ETag"]
    feed = services.find(FeedKind.ASSOCIATION, association.id)
    last_modified = feed.last_modified

    services.rebuild(feed.id)  # nothing changed
    db.session.expire_all()
    assert client.get(url).headers["ETag"] == etag
    assert services.find(FeedKind.ASSOCIATION, association.id).last_modified == last_modified

    change_event(event, title_vi="Gặp mặt kiều bào — đổi tên")
    services.rebuild(feed.id)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "đổi tên" in changed.data.decode("utf-8").replace("\r\n ", "")


def test_private_and_personal_feeds_are_private_and_stop_working_once_revoked(client):
    association, contact, private_url, personal_url = private_and_personal_feeds()

    private = client.get(private_url)
    assert private.status_code == 200 and private.headers["Cache-Control"] == "private, max-age=300"
    assert client.get(personal_url).headers["Cache-Control"] == "private, max-age=300"

    services.rotate_private_token(association)
    services.rotate_personal_token(contact)
    db.session.commit()
    assert client.get(private_url).status_code == 404
    assert client.get(private_url, headers={"If-None-Match": private.headers["ETag"]}).status_code == 404
    assert client.get(personal_url).status_code == 404
    assert client.get(path(links.association_private_feed_url(association))).status_code == 200
    assert client.get(path(links.personal_feed_url(contact))).status_code == 200


def test_staff_page_offers_subscribe_links_and_revokes_the_private_link(client, auth):
    association = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Pháp")
    branch = AssociationFactory(parent=association)
    organiser = staff(association, Role.ORGANISER)
    old_private = links.association_private_feed_url(association)
    auth.login(organiser)

    page = client.get(f"/associations/{association.slug}/calendar-feeds")
    assert page.status_code == 200
    html = unquote(page.data.decode("utf-8"))
    webcal = links.webcal(links.association_feed_url(association))
    assert f'href="{webcal}"' in html
    assert f"https://calendar.google.com/calendar/render?cid={webcal}" in html
    assert f"https://outlook.live.com/calendar/0/addfromurl?url={webcal}" in html
    assert old_private in html and links.association_feed_url(association) + "?branches=1" in html
    assert 'data-copy="#feed-url-public"' in html
    assert "Google Calendar" in html and "lịch" in html  # instructions in both languages
    assert f"/associations/{association.slug}/calendar-feeds" in client.get(f"/associations/{association.slug}").data.decode()
    assert branch.slug

    response = auth.post(f"/associations/{association.slug}/calendar-feeds/revoke",
                         form_url=f"/associations/{association.slug}/calendar-feeds", follow_redirects=True)
    assert response.status_code == 200
    db.session.refresh(association)
    assert links.association_private_feed_url(association) != old_private
    assert client.get(path(old_private)).status_code == 404
    assert client.get(path(links.association_private_feed_url(association))).status_code == 200


def test_only_managers_revoke_and_only_staff_see_the_page(app, client, auth):
    association = AssociationFactory()
    viewer = staff(association, Role.VIEWER)
    outsider = staff(AssociationFactory(), Role.ORGANISER)
    token = association.private_feed_token
    login(auth, outsider)
    assert client.get(f"/associations/{association.slug}/calendar-feeds").status_code == 403
    login(auth, viewer)
    assert client.get(f"/associations/{association.slug}/calendar-feeds").status_code == 200
    response = auth.post(f"/associations/{association.slug}/calendar-feeds/revoke",
                         form_url=f"/associations/{association.slug}/calendar-feeds")
    assert response.status_code == 403
    db.session.refresh(association)
    assert association.private_feed_token == token
    g.pop("_login_user", None)
    anonymous = app.test_client()
    assert anonymous.get(f"/associations/{association.slug}/calendar-feeds").status_code == 302  # sign in first


def test_a_burst_of_changes_enqueues_one_build_per_feed(app, db, monkeypatch):
    """Marks in separate transactions claim the feed once until the build starts."""
    association = AssociationFactory()
    event = EventFactory(association=association)
    contact = ContactFactory()
    public = services.ensure_built(FeedKind.ASSOCIATION, association.id)
    private = services.ensure_built(FeedKind.ASSOCIATION_PRIVATE, association.id)
    services.ensure_built(FeedKind.PERSONAL, contact.id)  # not invited: not touched

    sent = []

    def record(name, args=None, kwargs=None, **options):  # every task leaves through send_task, named or imported
        sent.append((name, tuple(args or ()), options.get("countdown")))

    monkeypatch.setattr(app.extensions["celery"], "send_task", record)
    for n in range(5):
        change_event(event, title_vi=f"Đổi lần {n}")
    assert sorted(sent) == sorted([("feeds.build", (public.id,), 2), ("feeds.build", (private.id,), 2)])
    db.session.expire_all()
    assert all(f.dirty for f in db.session.scalars(db.select(Feed).where(Feed.kind != FeedKind.PERSONAL)))

    services.rebuild(public.id)  # the build releases its claim: the next change enqueues again
    change_event(event, title_vi="Đổi sau khi dựng")
    assert sent[-1] == ("feeds.build", (public.id,), 2) and len(sent) == 3


def test_gzip_for_clients_that_ask_with_its_own_etag(client):
    import gzip

    association = AssociationFactory()
    EventFactory(association=association, title_vi="Ngày hội ẩm thực ba miền")
    url = path(links.association_feed_url(association))
    plain = client.get(url)
    compressed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert compressed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in compressed.headers["Vary"]
    assert gzip.decompress(compressed.data) == plain.data
    assert len(compressed.data) < len(plain.data)
    assert compressed.headers["ETag"] != plain.headers["ETag"]
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": compressed.headers["ETag"]})
    assert again.status_code == 304


def test_renaming_an_association_marks_its_feeds_for_a_rebuild(client):
    from eventsapp.associations import services as associations

    association = AssociationFactory(name_vi="Hội hữu nghị cũ")
    EventFactory(association=association)
    url = path(links.association_feed_url(association))
    assert "Hội hữu nghị cũ" in client.get(url).data.decode()
    feed = services.find(FeedKind.ASSOCIATION, association.id)
    assert not feed.dirty

    associations.save_association(association, slug=association.slug, name_vi="Hội hữu nghị mới",
                                  name_en="New name", kind=association.kind, parent=None, founded_on=None,
                                  timezone="Asia/Ho_Chi_Minh")
    db.session.commit()
    db.session.expire_all()
    assert services.find(FeedKind.ASSOCIATION, association.id).dirty
    services.rebuild(feed.id)
    assert "X-WR-CALNAME:Hội hữu nghị mới" in client.get(url).data.decode()


def test_renaming_a_campaign_marks_its_feed_for_a_rebuild(client):
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(title_vi="Xuân Quê hương 2027", status=CampaignStatus.PUBLISHED)
    EventFactory(association=campaign.association, campaign=campaign)
    url = path(links.campaign_feed_url(campaign))
    assert "X-WR-CALNAME:Xuân Quê hương 2027" in client.get(url).data.decode()
    feed = services.find(FeedKind.CAMPAIGN, campaign.id)

    campaign.title_vi = "Xuân Quê hương 2027 – Bắc Giang"
    db.session.commit()
    db.session.expire_all()
    assert services.find(FeedKind.CAMPAIGN, campaign.id).dirty
    services.rebuild(feed.id)
    assert "Xuân Quê hương 2027 – Bắc Giang" in client.get(url).data.decode().replace("\r\n ", "")


def test_a_revocation_committed_by_another_process_takes_effect_on_the_next_request(app, client, database_url):
    """Every web process looks private and personal URLs up per request: a token rotated
    elsewhere (another worker, the CLI) stops working here at once, cached body or not."""
    import psycopg

    association, contact, private_url, personal_url = private_and_personal_feeds()
    served = client.get(private_url)
    assert served.status_code == 200 and client.get(personal_url).status_code == 200  # bodies now cached here

    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as elsewhere:
        elsewhere.execute("UPDATE associations SET private_feed_token = 'rotated-elsewhere' WHERE id = %s",
                          (association.id,))
        elsewhere.execute("UPDATE contacts SET feed_token = 'rotated-elsewhere' WHERE id = %s", (contact.id,))

    assert client.get(private_url).status_code == 404
    assert client.get(private_url, headers={"If-None-Match": served.headers["ETag"]}).status_code == 404
    assert client.get(private_url, headers={"Accept-Encoding": "gzip"}).status_code == 404
    assert client.get(personal_url).status_code == 404
    renewed = client.get(f"/feeds/associations/{association.slug}/private/rotated-elsewhere.ics")
    assert renewed.status_code == 200 and renewed.data == served.data


def test_every_answer_carries_the_same_headers_as_the_pages(app, client):
    """The first request builds the feed in Flask; later ones are answered ahead of Flask:
    both carry the same feed and security headers as any page, over HTTP and HTTPS."""
    from eventsapp.auth.security import security_headers

    association = AssociationFactory()
    EventFactory(association=association)
    url = path(links.association_feed_url(association))
    required = {"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                "Permissions-Policy"}
    for base_url in ("http://eventsapp.test", "https://eventsapp.test"):
        security = {name for name, _ in security_headers(app, base_url.startswith("https"))}
        assert required <= security
        page = client.get("/login", base_url=base_url)
        first, later = client.get(url, base_url=base_url), client.get(url, base_url=base_url)
        assert later.data == first.data
        for response in (page, first, later):
            for name in security:
                assert response.headers.getlist(name) == page.headers.getlist(name) != [], name
        for response in (first, later):
            assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
            assert "Accept-Encoding" in response.headers["Vary"]
        for name in ("ETag", "Last-Modified", "Cache-Control", "Content-Length"):
            assert later.headers[name] == first.headers[name], name


def test_hsts_is_sent_over_https_when_https_is_forced(app, monkeypatch):
    from eventsapp.auth.security import security_headers

    assert "Strict-Transport-Security" not in dict(security_headers(app, True))  # FORCE_HTTPS off in tests
    monkeypatch.setitem(app.config, "FORCE_HTTPS", True)
    assert dict(security_headers(app, True))["Strict-Transport-Security"].startswith("max-age=31556926")
    assert "Strict-Transport-Security" not in dict(security_headers(app, False))


def test_head_and_a_gzip_client_still_holding_the_plain_etag(client):
    association = AssociationFactory()
    EventFactory(association=association)
    url = path(links.association_feed_url(association))
    plain = client.get(url)

    head = client.head(url)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(plain.data)) and head.headers["ETag"] == plain.headers["ETag"]
    switched = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": plain.headers["ETag"]})
    assert switched.status_code == 304 and "Accept-Encoding" in switched.headers["Vary"]


def test_a_feed_rebuilt_between_lookup_and_body_is_served_in_its_new_version(client, database_url):
    """A body is fetched by feed id: when another process rebuilt the feed after this one
    looked the URL up, the new body goes out with its own ETag, never under the old one."""
    import psycopg

    from eventsapp.feeds.cache import representations

    association = AssociationFactory()
    EventFactory(association=association)
    url = path(links.association_feed_url(association))
    old = client.get(url)  # the public lookup (old ETag) is now cached for a couple of seconds
    feed = services.find(FeedKind.ASSOCIATION, association.id)
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as elsewhere:
        elsewhere.execute("UPDATE feeds SET body = %s, etag = 'rebuilt-elsewhere' WHERE id = %s",
                          (old.data.replace(b"END:VCALENDAR", b"X-REBUILT:1\r\nEND:VCALENDAR"), feed.id))
    representations.clear()  # as in a process that has not served this feed yet

    new = client.get(url)
    assert new.headers["ETag"] == '"rebuilt-elsewhere"' and b"X-REBUILT:1" in new.data
    assert client.get(url, headers={"If-None-Match": new.headers["ETag"]}).status_code == 304


def test_with_https_forced_a_plain_http_feed_request_is_left_to_flask(app, monkeypatch):
    """Ahead of Flask, only HTTPS requests are answered when HTTPS is forced, so the
    redirect to HTTPS still happens."""
    from werkzeug.middleware.proxy_fix import ProxyFix
    from werkzeug.test import EnvironBuilder

    from eventsapp.feeds.serving import FeedServer

    association = AssociationFactory()
    EventFactory(association=association)
    url = path(links.association_feed_url(association))
    assert app.test_client().get(url).status_code == 200  # built
    monkeypatch.setitem(app.config, "FORCE_HTTPS", True)
    left_to_flask = []
    server = FeedServer(app, lambda environ, start_response: left_to_flask.append(environ["wsgi.url_scheme"]) or [])

    def get(base_url, headers=None):
        statuses = []
        body = b"".join(server(EnvironBuilder(path=url, base_url=base_url, headers=headers).get_environ(),
                               lambda status, headers: statuses.append(status)))
        return statuses, body

    assert get("http://eventsapp.test") == ([], b"") and left_to_flask == ["http"]
    statuses, body = get("https://eventsapp.test")
    assert statuses == ["200 OK"] and body.startswith(b"BEGIN:VCALENDAR")
    # The client's own X-Forwarded-Proto is not believed (no trusted proxy): left to Flask's redirect.
    assert get("http://eventsapp.test", headers={"X-Forwarded-Proto": "https"}) == ([], b"")
    assert left_to_flask == ["http", "http"]
    # Behind a trusted TLS proxy (ProxyFix, as `init_proxies` puts it in front) the feed is answered.
    server = ProxyFix(server, x_proto=1)
    statuses, _ = get("http://eventsapp.test", headers={"X-Forwarded-Proto": "https"})
    assert statuses == ["200 OK"] and left_to_flask == ["http", "http"]


def test_cached_representations_stay_within_their_byte_budget():
    from eventsapp.feeds.cache import Representation, RepresentationCache

    cache = RepresentationCache(max_bytes=2_500)
    for feed_id in (1, 2, 3):
        cache.put(Representation(feed_id, f"etag-{feed_id}", None, b"x" * 1_000))
    assert cache.get(1, "etag-1") is None  # least recently used, dropped
    assert cache.get(3, "etag-3") is not None and cache.get(3, "another-etag") is None


def test_a_feed_still_answers_after_the_database_dropped_the_serving_connections(client, database_url, caplog):
    """A restarted database (or a proxy's idle timeout) closes pooled connections: the lookup
    retries once on a fresh connection, without an error logged."""
    import psycopg

    association = AssociationFactory()
    EventFactory(association=association)
    url = path(links.association_private_feed_url(association))
    first = client.get(url)
    assert first.status_code == 200
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as admin:
        dropped = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND query LIKE 'SELECT associations.id%%'")
        assert dropped.rowcount >= 1  # the serving connections (their last query was the lookup)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
