"""Fixtures for the document templates: stored templates, real file contents of each type,
and form data as the editor posts it."""
import io
import zipfile

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from tests.factories import HX
from webapp.documents.models import DocumentTemplate
from webapp.extensions import db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)
HTML = b"<!DOCTYPE html>\n<html><body><p>Liebe Kundin, lieber Kunde</p></body></html>\n"
TEXT = "Liebe Kundin, lieber Kunde,\n\tanbei Ihre Karte.\n".encode()


def archive(*members):
    """A ZIP file's bytes with `members` ((name, bytes, stored?)) in that order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, data, stored in members:
            zipped.writestr(name, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


DOCX = archive(("[Content_Types].xml", b"<Types/>", False),
               ("word/document.xml", b"<w:document/>", False))
ODT = archive(("mimetype", b"application/vnd.oasis.opendocument.text", True),
              ("content.xml", b"<office:document-content/>", False))


@pytest.fixture
def user_language():
    """`admin` and `login_as` read English: the assertions read the msgids."""
    return "en"


@pytest.fixture
def make_document(app):
    """make_document(name, kind="card_layout", content="…", file=(name, bytes) or None)."""
    def make(name="Karte GOLD", kind="card_layout", content=None, file=None):
        with app.app_context():
            document = DocumentTemplate(name=name, kind=kind, updated_by="test",
                                        content=content if content is not None
                                        else ("" if file else "Karte für {name}"))
            if file is not None:
                document.file_name, document.file_data = file
                document.file_type, document.file_size = "application/pdf", len(file[1])
            db.session.add(document)
            db.session.commit()
            return document.id
    return make


@pytest.fixture
def document_data(auth):
    """Form data as the editor posts it; `file` as (bytes, name) for an upload."""
    def data(**overrides):
        values = {"name": "Karte GOLD", "kind": "card_layout", "content": "Karte für {name}",
                  "csrf_token": auth.csrf_token()}
        values.update(overrides)
        if "file" in values and isinstance(values["file"], tuple):
            content, name = values["file"]
            values["file"] = (io.BytesIO(content), name)
        return {key: value for key, value in values.items() if value is not None}
    return data


def post_large(client, url, data, content, filename):
    """POST `data` with the file `content` as multipart built in memory, as htmx: for a
    large file the test client would spool the body to a temporary file it never closes."""
    values = {**data, "file": FileStorage(io.BytesIO(content), filename=filename)}
    stream, length, boundary = stream_encode_multipart(values, use_tempfile=False)
    return client.post(url, input_stream=stream, content_length=length, headers=HX,
                       content_type=f"multipart/form-data; boundary={boundary}")
