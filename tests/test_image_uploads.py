"""Every image upload goes through the one guard (eventsapp.images): a small file that declares a huge
image is refused from its header, before a pixel is decoded — for each upload field of the app."""
from __future__ import annotations

import io
import tracemalloc

import pytest
from PIL import Image
from sqlalchemy import select

from eventsapp.associations.models import Association, Role
from eventsapp.attendance.models import CertificateTemplate
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, EventFactory, staff


def huge_png() -> bytes:
    """12,000 × 12,000 pixels (144 MB decoded in grey, 576 MB as RGBA) in a file of a few hundred KB."""
    out = io.BytesIO()
    Image.new("L", (12_000, 12_000)).save(out, format="PNG")
    return out.getvalue()


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def association_logo(client, event, upload: bytes):
    slug = event.association.slug
    token = csrf_token_from(client.get(f"/associations/{slug}/identity").text)
    response = client.post(f"/associations/{slug}/identity", data={
        "csrf_token": token, "brand_color": "", "logo": (io.BytesIO(upload), "logo.png")},
        content_type="multipart/form-data")
    return response


def certificate_logo(client, event, upload: bytes):
    token = csrf_token_from(client.get(f"/events/{event.id}/printables").text)
    return client.post(f"/events/{event.id}/certificate-template", data={
        "csrf_token": token, "title": "Giấy khen", "logo": (io.BytesIO(upload), "logo.png")},
        content_type="multipart/form-data", follow_redirects=True)


def association_logo_saved(db, event) -> bool:
    db.session.expire_all()
    return db.session.get(Association, event.association_id).logo_version is not None


def certificate_logo_saved(db, event) -> bool:
    db.session.expire_all()
    template = db.session.scalar(select(CertificateTemplate).where(
        CertificateTemplate.association_id == event.association_id))
    return template is not None and template.logo_png is not None


FIELDS = {"association-logo": (association_logo, association_logo_saved),
          "certificate-template-logo": (certificate_logo, certificate_logo_saved)}


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own note at open(); refused next
def test_each_image_upload_refuses_a_huge_image_before_decoding_it(db, client, auth, field):
    post, saved = FIELDS[field]
    event = EventFactory(association=AssociationFactory())
    auth.login(staff(event.association, Role.ORGANISER))
    upload = huge_png()
    assert len(upload) < 1024 * 1024
    tracemalloc.start()
    try:
        response = post(client, event, upload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "Logo có quá nhiều điểm ảnh." in response.text
    assert not saved(db, event)
    assert peak < 40 * 1024 * 1024, f"{peak / 2**20:.0f} MB allocated to refuse it"
    # A small logo is still taken.
    post(client, event, small_png())
    assert saved(db, event)
