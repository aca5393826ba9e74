"""AUTO-5: the documentation space: product sheets per brand with their files, the newsletters
(home page news archived), the user guide in French and English and its PDF, the API link; open to
every user of an account, refused to anonymous visitors and to staff without an account."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Right
from catalog.models import Brand, News, ProductSheet, ProductSheetAttachment
from tests import factories
from tests.support.contracts import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet(db):
    brand, _ = Brand.objects.get_or_create(code="globalsign", defaults={"name": "GlobalSign"})
    item = ProductSheet.objects.create(brand=brand, title="GlobalSign OV", body="Organisation validated.")
    attachment = ProductSheetAttachment(sheet=item, title="Leaflet")
    attachment.file.save("leaflet.pdf", ContentFile(PDF))
    return item


@pytest.fixture
def anyone(account):
    """A user of the account without any right: the documentation is for every user."""
    return factories.make_user(account, "norights", rights=[])


def test_index_lists_sheets_news_guide_and_api(client, anyone, sheet):
    News.objects.create(title="New prices in March", body="...")
    client.force_login(anyone)
    page = client.get(reverse("documentation:index")).content.decode()
    assert "GlobalSign OV" in page and "Leaflet" in page and "New prices in March" in page
    assert reverse("documentation:guide_pdf", args=["fr"]) in page and reverse("api:schema") in page


def test_menu_shows_the_documentation_to_every_user(client, anyone):
    client.force_login(anyone)
    page = client.get(reverse("documentation:index")).content.decode()
    assert f'href="{reverse("documentation:guide_current")}"' in page


def test_sheet_and_its_file(client, anyone, sheet):
    client.force_login(anyone)
    page = client.get(reverse("documentation:sheet", args=[sheet.pk])).content.decode()
    assert "Organisation validated." in page
    file = sheet.attachments.get()
    response = client.get(reverse("documentation:attachment", args=[file.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert 'filename="leaflet.pdf"' in response["Content-Disposition"]


def test_unpublished_sheet_and_its_file_are_not_found(client, anyone, sheet):
    sheet.active = False
    sheet.save()
    client.force_login(anyone)
    assert client.get(reverse("documentation:sheet", args=[sheet.pk])).status_code == 404
    assert (
        client.get(reverse("documentation:attachment", args=[sheet.attachments.get().pk])).status_code == 404
    )


def test_sheets_of_the_other_language_are_left_out(client, anyone, sheet):
    sheet.language = "fr"
    sheet.save()
    client.force_login(anyone)
    assert "GlobalSign OV" not in client.get(reverse("documentation:index")).content.decode()


def test_newsletters_archive_every_news_item_even_off_the_home_page(client, anyone):
    News.objects.create(title="Old news", body="Archived.", active=False)
    News.objects.create(
        title="Future", body="Not yet.", published_at=timezone.now() + datetime.timedelta(days=3)
    )
    client.force_login(anyone)
    page = client.get(reverse("documentation:newsletters")).content.decode()
    assert "Old news" in page and "Future" not in page


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Ordering a certificate"), ("fr", "Commander un certificat")]
)
def test_guide_reads_and_downloads_in_each_language(client, anyone, language, heading):
    client.force_login(anyone)
    page = client.get(reverse("documentation:guide", args=[language])).content.decode()
    assert heading in page and f'lang="{language}"' in page
    response = client.get(reverse("documentation:guide_pdf", args=[language]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert heading in text and len(PdfReader(io.BytesIO(response.content)).pages) >= 2


def test_unknown_guide_language_is_not_found(client, anyone):
    client.force_login(anyone)
    assert client.get(reverse("documentation:guide", args=["de"])).status_code == 404
    assert client.get(reverse("documentation:guide_pdf", args=["de"])).status_code == 404


def test_anonymous_and_staff_are_refused(client, staff, sheet):
    url = reverse("documentation:index")
    assert client.get(url)["Location"].startswith("/accounts/login/")
    client.force_login(staff)
    assert client.get(url).status_code == 403


def test_staff_attach_only_real_files(client, staff, sheet):
    client.force_login(staff)
    url = reverse("admin:catalog_productsheet_change", args=[sheet.pk])
    existing = sheet.attachments.get()
    data = {
        "brand": sheet.brand.pk,
        "title": sheet.title,
        "body": sheet.body,
        "language": "",
        "position": 0,
        "active": "on",
        "updated_at_0": "2026-01-01",
        "updated_at_1": "10:00:00",
        "attachments-TOTAL_FORMS": "2",
        "attachments-INITIAL_FORMS": "1",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
        "attachments-0-id": existing.pk,
        "attachments-0-sheet": sheet.pk,
        "attachments-0-title": existing.title,
        "attachments-1-sheet": sheet.pk,
        "attachments-1-title": "Fake",
        "attachments-1-file": SimpleUploadedFile("fake.pdf", b"MZ not a pdf"),
    }
    response = client.post(url, data)
    assert response.status_code == 200 and sheet.attachments.count() == 1
    data["attachments-1-file"] = SimpleUploadedFile("real.pdf", PDF)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sheet.attachments.count() == 2


def test_other_rights_see_it_too(client, account):
    for right in Right:
        client.force_login(factories.make_user(account, f"r-{right}", rights=[right]))
        assert client.get(reverse("documentation:newsletters")).status_code == 200
