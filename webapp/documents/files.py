"""What an uploaded document template may be: a PDF, a PNG or JPEG image, a Word (DOCX) or
OpenDocument (ODT) text, plain text or HTML, up to MAX_FILE_BYTES — told by the file name's
extension AND by the bytes, so that a script renamed to .pdf is refused, not stored and later
handed to a print run or a browser.

The bytes decide, never the browser's Content-Type: it is whatever the uploader's system
guessed from the name."""
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from .models import MAX_FILE_BYTES

FIELD = "file"  # the form field the refusals stand beside


@dataclass(frozen=True)
class FileType:
    label: str
    mime: str  # what it is stored and served as
    extensions: tuple


PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG", "image/png", (".png",))
JPEG = FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileType("Word (DOCX)",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                (".docx",))
ODT = FileType("OpenDocument (ODT)", "application/vnd.oasis.opendocument.text", (".odt",))
TEXT = FileType(_l("Text"), "text/plain", (".txt",))
HTML = FileType("HTML", "text/html", (".html", ".htm"))
TYPES = (PDF, PNG, JPEG, DOCX, ODT, TEXT, HTML)
BY_EXTENSION = {extension: kind for kind in TYPES for extension in kind.extensions}
ACCEPT = ",".join(BY_EXTENSION)  # the file input's accept attribute: a hint, not the check

ODT_MIME = b"application/vnd.oasis.opendocument.text"
# How HTML starts (WHATWG MIME sniffing's "text/html" patterns), after spaces and a BOM.
HTML_STARTS = re.compile(
    rb"<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)"
    rb"[\s>/]", re.IGNORECASE)
# Text keeps tabs, line breaks and form feeds; other control characters mean binary data.
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
NAME_MAX_LENGTH = 200


def clean_name(filename):
    """The uploaded file's name as we keep and offer it: the last path part (Windows browsers
    send C:\\…), no control characters, composed Unicode, at most NAME_MAX_LENGTH characters
    with the extension kept."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > NAME_MAX_LENGTH:
        _stem, dot, extension = name.rpartition(".")
        keep = len(extension) + 1 if dot and len(extension) <= 10 else 0
        name = name[:NAME_MAX_LENGTH - keep] + (name[-keep:] if keep else "")
    return name


def checked(filename, data):
    """(clean name, FileType) of an upload, or DomainError beside the file field naming what
    is wrong: its size, its extension, or bytes that are not what the extension says."""
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(_l("The file is %(size)s; at most %(max)s are allowed.",
                             size=size_text(len(data)), max=size_text(MAX_FILE_BYTES)),
                          field=FIELD)
    if not data:
        raise DomainError(_l("The file is empty."), field=FIELD)
    name = clean_name(filename)
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    kind = BY_EXTENSION.get(extension)
    if kind is None:
        raise DomainError(_l("Upload a PDF, PNG, JPEG, Word (DOCX), OpenDocument (ODT), text "
                             "or HTML file."), field=FIELD)
    if not _looks_like(kind, data):
        raise DomainError(_l("The file's content is not %(type)s, as its name says. Save it "
                             "again in that format, or upload it under its right name.",
                             type=kind.label), field=FIELD)
    return name, kind


def _looks_like(kind, data):
    if kind is PDF:
        return data.startswith(b"%PDF-")
    if kind is PNG:
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if kind is JPEG:
        return data.startswith(b"\xff\xd8\xff")
    if kind is DOCX:
        names = _zip_names(data)
        return "[Content_Types].xml" in names and "word/document.xml" in names
    if kind is ODT:
        return _odt(data)
    text = _text(data)
    if text is None:
        return False
    if kind is HTML:
        return HTML_STARTS.match(text.lstrip().encode("utf-8")) is not None
    return True


def _zip_names(data):
    """The names in a ZIP archive (its central directory only: nothing is unpacked)."""
    if not data.startswith(b"PK\x03\x04"):
        return set()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        return set()


def _odt(data):
    """An OpenDocument text: a ZIP whose first entry `mimetype` names it, stored uncompressed
    (ODF 1.2, part 3, 3.3): its bytes stand right after the 38-byte local header."""
    return (data.startswith(b"PK\x03\x04") and data[30:38] == b"mimetype"
            and data[38:38 + len(ODT_MIME)] == ODT_MIME and "mimetype" in _zip_names(data))


def _text(data):
    """`data` as text (UTF-8, with or without a BOM), or None when it is binary."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return None if TEXT_CONTROL.search(text) else text


def size_text(size):
    """A size in words a person reads: '1,5 MB', '800 KB', '12 Bytes' (decimal comma in
    German through the message catalogue's number format)."""
    if size >= 1024 * 1024:
        return _l("%(number)s MB", number=format_decimal(round(size / (1024 * 1024), 1)))
    if size >= 1024:
        return _l("%(number)s KB", number=format_decimal(round(size / 1024)))
    return _l("%(number)s bytes", number=size)
