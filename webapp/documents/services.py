"""Rules for document templates (Dokumentvorlagen): administrators create, change and delete
them, everyone logged in reads them and chooses them in the search dialog.

A template is either text content or one uploaded file (files.py says which). Other records
name a template by its name (an interface service's Dokumentvorlage and Anschreiben, a card
order's copy of its template row), so while anything does it can neither be deleted nor
renamed: the domains above answer through webapp/references.py ("document_template")."""
import hashlib

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_

from .. import references
from ..changelog import services as changelog
from ..errors import DomainError, InUse
from ..extensions import db
from ..permissions import admin_only, require_admin
from ..records import check_version, contains, flush_unique, taken
from . import files
from .models import KINDS, DocumentTemplate

ENTITY = "document_template"  # change-log entity type and references kind
FIELDS = ("name", "kind", "content", "file_name", "file_type", "file_size")
# Stands for the file's bytes in the change log, which never holds them: a new file with the
# same name and size is still a change.
FILE_DIGEST = "file_digest"
PICKER_LIMIT = 50
CONTENT_MAX_LENGTH = 20000

NEITHER = _l("Enter the content or upload a file.")
BOTH = _l("A template is either text or a file: empty the content, or remove the file.")


# --- reading -----------------------------------------------------------------------------

def _search(q, kind):
    query = db.select(DocumentTemplate).order_by(func.lower(DocumentTemplate.name),
                                                 DocumentTemplate.id)
    if q:
        query = query.where(or_(contains(DocumentTemplate.name, q),
                                contains(DocumentTemplate.file_name, q)))
    if kind in KINDS:
        query = query.where(DocumentTemplate.kind == kind)
    return query


def search_documents(q="", kind=None, page=1, per_page=25):
    """Templates by name or file name, optionally of one kind; the file bytes stay unread."""
    return db.paginate(_search(q, kind), page=page, per_page=per_page, error_out=False)


def picker_choices(q="", kind=None, limit=PICKER_LIMIT):
    """(the first `limit` templates matching, whether there are more) for the search dialog."""
    found = db.session.scalars(_search(q, kind).limit(limit + 1)).all()
    return found[:limit], len(found) > limit


def get_document(document_id):
    return db.session.get(DocumentTemplate, document_id)


def by_name(name):
    """The template named exactly `name`, or None."""
    return db.session.scalar(db.select(DocumentTemplate).where(DocumentTemplate.name == name))


def names_like(names):
    """{lower-case name: stored name} of the templates whose names equal any of `names` when
    case is ignored: says "did you mean …" where a name differs only in case."""
    wanted = {name.lower() for name in names if name}
    if not wanted:
        return {}
    found = db.session.scalars(db.select(DocumentTemplate.name)
                               .where(func.lower(DocumentTemplate.name).in_(wanted))).all()
    return {name.lower(): name for name in found}


def existing_names(names):
    """The subset of `names` that name a template exactly."""
    wanted = {name for name in names if name}
    if not wanted:
        return set()
    return set(db.session.scalars(db.select(DocumentTemplate.name)
                                  .where(DocumentTemplate.name.in_(wanted))))


def document_actions(actor, document=None):
    """Templates are the administrators'; everyone reads them."""
    return admin_only(actor)


def file_of(document):
    """(bytes, MIME type, file name) of the template's file for a download, or None."""
    if not document.file_name or document.file_data is None:
        return None
    return document.file_data, document.file_type, document.file_name


def document_references(document):
    """What still names the template (the domains above answer), as readable strings."""
    return references.referring(ENTITY, document)


# --- writing -----------------------------------------------------------------------------

def _check_rules(data, has_file, exclude_id=None):
    if data["kind"] not in KINDS:
        raise DomainError(_l("Not a valid choice."), field="kind")
    if len(data["content"]) > CONTENT_MAX_LENGTH:
        raise DomainError(_l("Enter at most %(max)s characters.", max=CONTENT_MAX_LENGTH),
                          field="content")
    if not has_file and not data["content"].strip():
        raise DomainError(NEITHER, field="content")
    if has_file and data["content"].strip():
        raise DomainError(BOTH, field="content")
    if taken(DocumentTemplate, "name", data["name"], exclude_id=exclude_id):
        raise DomainError(_l("A document template with this name already exists."),
                          field="name")


def _digest(data):
    return hashlib.sha256(data).hexdigest()[:16] if data else None


def create_document(actor, data, upload=None):
    """A new template from `data` (name, kind, content) and an `upload` (file name, bytes)
    or None; administrators only."""
    require_admin(actor)
    name, kind, payload = _checked_upload(upload)
    _check_rules(data, has_file=payload is not None)
    document = DocumentTemplate(name=data["name"], kind=data["kind"], content=data["content"],
                                updated_by=actor.name)
    if payload is not None:
        _set_file(document, name, kind, payload)
    db.session.add(document)
    flush_unique(document)
    after = changelog.snapshot(document, FIELDS)
    after[FILE_DIGEST] = _digest(payload)
    changelog.record(actor, "create", ENTITY, document, changelog.diff({}, after))
    return document


def update_document(actor, document, data, upload=None, remove_file=False, version=None):
    """Save name, kind and content, a new file (`upload`) or the file's removal. Refused over
    a newer version, and a rename while something names the template. Returns False (and
    writes nothing) when nothing changed."""
    require_admin(actor)
    check_version(document, version)
    name, kind, payload = _checked_upload(upload)
    has_file = payload is not None or (bool(document.file_name) and not remove_file)
    _check_rules(data, has_file, exclude_id=document.id)
    if data["name"] != document.name:
        refs = document_references(document)
        if refs:
            raise InUse(_l("The name cannot change while it is in use (%(refs)s): they name "
                           "the template by it.", refs="; ".join(str(r) for r in refs)),
                        field="name")
    before = changelog.snapshot(document, FIELDS)
    after_digest = None
    if payload is not None or (remove_file and document.file_name):
        before[FILE_DIGEST] = _digest(document.file_data)
        if payload is not None:
            _set_file(document, name, kind, payload)
        else:
            _set_file(document, "", None, None)
        after_digest = _digest(payload)
    for column in ("name", "kind", "content"):
        setattr(document, column, data[column])
    after = changelog.snapshot(document, FIELDS)
    if FILE_DIGEST in before:
        after[FILE_DIGEST] = after_digest
    changes = changelog.diff(before, after)
    if not changes:
        return False
    document.version += 1
    document.updated_by = actor.name
    changelog.record(actor, "update", ENTITY, document, changes)
    flush_unique(document)
    return True


def _checked_upload(upload):
    """(clean name, FileType, bytes) of an upload, (None, None, None) for none."""
    if upload is None:
        return None, None, None
    filename, payload = upload
    name, kind = files.checked(filename, payload)
    return name, kind, payload


def _set_file(document, name, kind, payload):
    document.file_name = name
    document.file_type = kind.mime if kind is not None else ""
    document.file_size = len(payload) if payload else 0
    document.file_data = payload


def delete_document(actor, document):
    """Delete the template, unless something still names it (InUse naming what)."""
    require_admin(actor)
    refs = document_references(document)
    if refs:
        raise InUse(_l("The document template is still in use (%(refs)s).",
                       refs="; ".join(str(r) for r in refs)))
    changelog.record(actor, "delete", ENTITY, document)
    db.session.delete(document)
    db.session.flush()
