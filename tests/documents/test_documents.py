"""Document templates (Stammdaten → Dokumentvorlagen): list and search, create and edit with
text or a file, upload limits and type sniffing, downloads, optimistic locking, the change
log without file bytes, and deletion."""
import json

import pytest

from tests.documents.conftest import (
    DOCX,
    HTML,
    JPEG,
    ODT,
    PDF,
    PNG,
    TEXT,
    archive,
    post_large,
)
from tests.factories import HX, count, log_entries
from webapp.changelog.models import ChangeLogEntry
from webapp.documents.models import MAX_FILE_BYTES, DocumentTemplate
from webapp.extensions import db


def stored(app, name="Karte GOLD"):
    """(kind, content, file name, file type, file size, file bytes) of the named template."""
    with app.app_context():
        document = db.session.scalar(db.select(DocumentTemplate)
                                     .where(DocumentTemplate.name == name))
        if document is None:
            return None
        return (document.kind, document.content, document.file_name, document.file_type,
                document.file_size, document.file_data)


# --- list --------------------------------------------------------------------------------

def test_list_page_search_and_kind_filter(client, admin, make_document):
    """The page lists the templates with kind and file; an htmx search returns only the
    matching rows, by name or file name; the kind filter keeps one kind."""
    make_document("Karte GOLD", "card_layout", file=("gold-layout.pdf", PDF))
    make_document("Anschreiben Kunde", "cover_letter")
    page = client.get("/document-templates/")
    assert page.status_code == 200 and b"<html" in page.data
    assert b"Karte GOLD" in page.data and b"Anschreiben Kunde" in page.data
    assert b"gold-layout.pdf" in page.data and b"Cover letter" in page.data
    assert "HX-Request" in page.headers.get("Vary", "")
    found = client.get("/document-templates/?q=LAYOUT", headers=HX)
    assert b"<html" not in found.data
    assert b"Karte GOLD" in found.data and b"Anschreiben Kunde" not in found.data
    letters = client.get("/document-templates/?kind=cover_letter", headers=HX)
    assert b"Anschreiben Kunde" in letters.data and b"Karte GOLD" not in letters.data
    every = client.get("/document-templates/?kind=nonsense&q=%25", headers=HX)
    assert b"No document templates found." in every.data  # '%' is taken literally


def test_the_navigation_offers_document_templates_beside_companies(client, admin):
    """Verwaltung lists Dokumentvorlagen right after Firmen."""
    body = client.get("/").get_data(as_text=True)
    assert body.index('href="/companies/"') < body.index('href="/document-templates/"')


# --- create and edit ---------------------------------------------------------------------

def test_create_text_template_with_htmx(client, admin, document_data, app):
    """A valid htmx create saves it, pushes its URL, refreshes the list and logs it."""
    response = client.post("/document-templates/new", data=document_data(), headers=HX)
    assert response.status_code == 200
    assert "documents-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"].startswith("/document-templates/")
    assert stored(app)[:3] == ("card_layout", "Karte für {name}", "")
    [(action, entity, changes)] = log_entries(app)
    assert (action, entity) == ("create", "document_template")
    assert {"field": "name", "old": None, "new": "Karte GOLD"} in changes


def test_create_plain_post_redirects(client, admin, document_data):
    """Without htmx a successful post redirects (post/redirect/get) to the editor page."""
    response = client.post("/document-templates/new", data=document_data())
    assert response.status_code == 303
    follow = client.get(response.headers["Location"])
    assert b"Document template created." in follow.data and b"<html" in follow.data


def test_upload_pdf_and_download_it_as_attachment(client, admin, document_data, app):
    """An uploaded PDF is kept with its name, type and size and downloaded as an attachment
    under its own name, never sniffed, never run."""
    response = client.post("/document-templates/new", headers=HX,
                           data=document_data(content="", file=(PDF, "Karte GOLD.pdf")))
    assert response.status_code == 200, response.data
    assert stored(app)[2:] == ("Karte GOLD.pdf", "application/pdf", len(PDF), PDF)
    with app.app_context():
        document_id = db.session.scalar(db.select(DocumentTemplate.id))
    download = client.get(f"/document-templates/{document_id}/file")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Karte GOLD.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download.headers["Cache-Control"] == "no-store"


def test_html_is_downloaded_never_shown(client, admin, document_data, app):
    """An HTML template comes as an attachment in a sandbox: the browser saves it, and even
    opened it runs nothing of ours."""
    client.post("/document-templates/new", headers=HX,
                data=document_data(name="Brief", kind="cover_letter", content="",
                                   file=(HTML, "brief.html")))
    with app.app_context():
        document_id = db.session.scalar(db.select(DocumentTemplate.id))
    download = client.get(f"/document-templates/{document_id}/file")
    assert download.headers["Content-Type"] == "text/html; charset=utf-8"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_file_name_is_cleaned_and_offered_safely(client, admin, document_data, app):
    """A path and control characters never reach the header: the last path part is kept,
    non-ASCII names and separators go as RFC 5987 filename*."""
    name = "../../home/anna/Grüße\x1b\x7f; Kunde=1.pdf"
    response = client.post("/document-templates/new", headers=HX,
                           data=document_data(content="", file=(PDF, name)))
    assert response.status_code == 200
    assert stored(app)[2] == "Grüße; Kunde=1.pdf"
    with app.app_context():
        document_id = db.session.scalar(db.select(DocumentTemplate.id))
    disposition = client.get(f"/document-templates/{document_id}/file").headers[
        "Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert "filename*=UTF-8''Gr%C3%BC%C3%9Fe%3B%20Kunde%3D1.pdf" in disposition


def test_template_without_file_has_no_download(client, admin, make_document):
    """A text template has nothing to download (404)."""
    document_id = make_document()
    assert client.get(f"/document-templates/{document_id}/file").status_code == 404


def test_file_over_two_megabytes_is_refused_beside_the_field(client, admin, document_data,
                                                           app):
    """A file of 2 MB and one byte: 422 with the message at the file field, nothing saved;
    exactly 2 MB is fine."""
    too_big = PDF + bytes(MAX_FILE_BYTES - len(PDF) + 1)
    response = post_large(client, "/document-templates/new", document_data(content=""),
                          too_big, "gross.pdf")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="file-error"' in body and "at most 2 MB are allowed" in body
    assert 'aria-invalid="true"' in body
    assert count(app, DocumentTemplate) == 0
    just = post_large(client, "/document-templates/new", document_data(content=""),
                      too_big[:-1], "genau.pdf")
    assert just.status_code == 200
    assert stored(app)[4] == MAX_FILE_BYTES


def test_a_body_far_beyond_the_limit_is_not_read(client, admin, document_data, app):
    """Far beyond the limit the request is refused before it is read (413)."""
    response = post_large(client, "/document-templates/new", document_data(content=""),
                          bytes(9 * 1024 * 1024), "riesig.pdf")
    assert response.status_code == 413
    assert count(app, DocumentTemplate) == 0


@pytest.mark.parametrize("name, content", [
    ("karte.pdf", PDF), ("karte.PNG", PNG), ("karte.jpg", JPEG), ("karte.jpeg", JPEG),
    ("brief.docx", DOCX), ("brief.odt", ODT), ("brief.txt", TEXT), ("brief.htm", HTML),
    ("bom.txt", b"\xef\xbb\xbfText mit BOM\n"),
])
def test_allowed_types_pass_by_name_and_content(client, admin, document_data, app, name,
                                               content):
    """PDF, PNG, JPEG, DOCX, ODT, text and HTML are taken when the bytes match the name."""
    response = client.post("/document-templates/new", headers=HX,
                           data=document_data(content="", file=(content, name)))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored(app)[2] == name


@pytest.mark.parametrize("name, content, message", [
    ("karte.pdf", HTML, "is not PDF"),
    ("karte.png", JPEG, "is not PNG"),
    ("karte.jpg", PNG, "is not JPEG"),
    ("brief.docx", archive(("anything.xml", b"<x/>", False)), "is not Word (DOCX)"),
    ("brief.docx", PDF, "is not Word (DOCX)"),
    ("brief.odt", archive(("mimetype", b"application/zip", True)), "is not OpenDocument"),
    ("brief.odt", DOCX, "is not OpenDocument"),
    ("brief.txt", PNG, "is not Text"),
    ("brief.txt", b"Text\x00mit NUL", "is not Text"),
    ("brief.txt", "Grüße".encode("latin-1"), "is not Text"),
    ("brief.html", b"MZ\x90\x00 just bytes", "is not HTML"),
    ("brief.html", TEXT, "is not HTML"),
    ("setup.exe", b"MZ\x90\x00", "Upload a PDF, PNG"),
    ("ohne-endung", PDF, "Upload a PDF, PNG"),
    ("leer.pdf", b"", "The file is empty."),
])
def test_type_is_checked_by_extension_and_bytes(client, admin, document_data, app, name,
                                               content, message):
    """A file whose bytes are not what its name says, or of another type, is refused beside
    the file field with the reason; nothing is saved."""
    response = client.post("/document-templates/new", headers=HX,
                           data=document_data(content="", file=(content, name)))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    error = body[body.index('id="file-error"'):]
    assert message in error[:error.index("</p>")]
    assert count(app, DocumentTemplate) == 0


@pytest.mark.parametrize("overrides, field, message", [
    ({"name": ""}, "name", "This field is required."),
    ({"name": "x" * 121}, "name", "120"),
    ({"name": "<b>Karte</b>"}, "name", "Must not contain &lt; or &gt;."),
    ({"name": "Karte\tGOLD"}, "name", "control characters"),
    ({"name": "Karte\x1bGOLD"}, "name", "control characters"),
    ({"content": "Zeile\x00"}, "content", "control characters"),
    ({"content": "x" * 20001}, "content", "20000"),
    ({"content": "   "}, "content", "Enter the content or upload a file."),
    ({"file": (PDF, "karte.pdf")}, "content", "either text or a file"),
    ({"kind": "poster"}, "kind", "Not a valid choice"),
])
def test_bad_input_gets_a_message_beside_the_field(client, admin, document_data, app,
                                                   overrides, field, message):
    """Empty, too long, markup, control characters, neither or both of text and file, an
    unknown kind: 422 with the message at the field, nothing saved."""
    response = client.post("/document-templates/new", headers=HX,
                           data=document_data(**overrides))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    error = body[body.index(f'id="{field}-error"'):]
    assert message in error[:error.index("</p>")]
    assert count(app, DocumentTemplate) == 0


def test_content_keeps_tabs_and_line_breaks(client, admin, document_data, app):
    """Multi-line content with tabs is fine."""
    response = client.post("/document-templates/new", headers=HX,
                           data=document_data(content="Liebe {vorname},\r\n\tIhre Karte."))
    assert response.status_code == 200
    assert "\tIhre Karte." in stored(app)[1]


def test_name_is_unique_ignoring_case(client, admin, document_data, make_document, app):
    """A second template named like an existing one (case ignored) is refused beside Name."""
    make_document("Karte GOLD")
    response = client.post("/document-templates/new", headers=HX,
                           data=document_data(name="karte gold"))
    assert response.status_code == 422
    assert b'id="name-error"' in response.data and b"already exists" in response.data
    assert count(app, DocumentTemplate) == 1


def test_edit_replace_and_remove_the_file_logs_no_bytes(client, admin, document_data,
                                                        make_document, app):
    """Replacing the file is a change even under the same name and size; the log names the
    file and a digest, never its bytes; removing the file with new text in the same save
    turns it into a text template."""
    document_id = make_document(content="", file=("karte.pdf", PDF))
    other = PDF.replace(b"Catalog", b"Katalog")
    response = client.post(f"/document-templates/{document_id}", headers=HX,
                           data=document_data(content="", version="1",
                                              file=(other, "karte.pdf")))
    assert response.status_code == 200 and b"Saved." in response.data
    assert stored(app)[5] == other
    response = client.post(f"/document-templates/{document_id}", headers=HX,
                           data=document_data(content="Nur Text", version="2",
                                              remove_file="y"))
    assert response.status_code == 200, response.data
    assert stored(app)[1:5] == ("Nur Text", "", "", 0)
    with app.app_context():
        entries = db.session.scalars(db.select(ChangeLogEntry)).all()
        logged = json.dumps([entry.changes for entry in entries])
    replaced = entries[0].changes
    assert [change["field"] for change in replaced] == ["file_digest"]
    assert "Katalog" not in logged and "Catalog" not in logged
    assert {"field": "file_name", "old": "karte.pdf", "new": ""} in entries[1].changes


def test_saving_unchanged_writes_nothing(client, admin, document_data, make_document, app):
    """The same values again: 'No changes.', no entry, the version stays."""
    document_id = make_document()
    response = client.post(f"/document-templates/{document_id}", headers=HX,
                           data=document_data(version="1"))
    assert b"No changes." in response.data
    assert log_entries(app) == []


def test_stale_version_is_a_conflict(client, admin, document_data, make_document, app):
    """Saving over a change made after the form was loaded: 409, the input stays, nothing
    saved."""
    document_id = make_document()
    with app.app_context():
        document = db.session.get(DocumentTemplate, document_id)
        document.version, document.updated_by = 2, "Bernd"
        db.session.commit()
    response = client.post(f"/document-templates/{document_id}", headers=HX,
                           data=document_data(name="Karte PLATIN", version="1"))
    assert response.status_code == 409
    assert b"Bernd saved this record" in response.data and b"Karte PLATIN" in response.data
    assert stored(app) is not None


# --- delete ------------------------------------------------------------------------------

def test_delete_with_htmx_and_without(client, admin, auth, make_document, app):
    """htmx gets the notice and a list refresh; a plain post is redirected to the list."""
    first, second = make_document("Karte GOLD"), make_document("Karte BASIS")
    response = client.post(f"/document-templates/{first}/delete", headers=HX,
                           data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 200 and b"was deleted" in response.data
    assert "documents-changed" in response.headers["HX-Trigger"]
    plain = client.post(f"/document-templates/{second}/delete", data={"csrf_token": auth.csrf_token()})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/document-templates/")
    assert count(app, DocumentTemplate) == 0
    assert [action for action, _entity, _changes in log_entries(app)] == ["delete", "delete"]


def test_confirmation_page_without_htmx(client, admin, make_document):
    """Browsers without htmx confirm on a page of their own."""
    document_id = make_document()
    page = client.get(f"/document-templates/{document_id}/delete")
    assert page.status_code == 200 and b"Karte GOLD" in page.data

