"""Dokumentvorlagen (Stammdaten): the list with its search, the editor (name, kind, content
or a file), the file's download, and the search dialog ("Suchen …") other screens open to
choose a template for one of their inputs."""
import io
import re

from flask import abort, current_app, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx, params
from ..changelog.display import in_words
from ..changelog.services import record_history
from ..errors import DomainError
from ..forms import apply_domain_error
from ..permissions import require_admin
from ..views_helpers import after_save, delete_response, refusal_status
from . import bp, services
from .files import MAX_FILE_BYTES, size_text
from .forms import KIND_LABELS, DocumentTemplateForm
from .models import KINDS

LIST_EVENT = "documents-changed"
# A post may carry a file a bit over the limit, so that its refusal stands beside the field;
# far beyond it the request is refused before it is read (413).
REQUEST_LIMIT = 4 * MAX_FILE_BYTES
# The id of the input the search dialog fills in (a field of the page that opened it).
TARGET_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,150}")
# Downloads are data, never a page of ours: no script, no form, no plugin runs in them, even
# if a browser were to show one.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def _kind_arg():
    kind = request.args.get("kind", "")
    return kind if kind in KINDS else ""


def _list_context():
    q = params.text(request.args, "q")
    kind = _kind_arg()
    pagination = services.search_documents(q, kind, params.page(request.args),
                                           current_app.config["PAGE_SIZE"])
    return dict(pagination=pagination, q=q, kind=kind, kind_labels=KIND_LABELS,
                size_text=size_text)


def _document_or_404(document_id):
    document = services.get_document(document_id)
    if document is None:
        abort(404)
    return document


@bp.get("/document-templates/")
def documents():
    """Searchable list of document templates, filterable by kind; htmx gets only the list."""
    context = _list_context()
    if hx.wants_fragment():
        return render_template("documents/_document_list.html", **context)
    return render_template("documents/documents.html", form=None, document=None,
                           may=services.document_actions(current_user), **context)


def _editor(form, document, status=200, notice=None):
    """The editor pane: a fragment for htmx, otherwise the whole page with the list."""
    may = services.document_actions(current_user, document)
    context = dict(form=form, document=document, notice=notice, may=may,
                   editable="edit" in may, size_text=size_text, kind_labels=KIND_LABELS,
                   history=in_words(record_history(services.ENTITY, document)) if document else [])
    if hx.wants_fragment():
        return render_template("documents/_document_form.html", **context), status
    return render_template("documents/documents.html", **{**_list_context(), **context}), status


def _fresh_form(obj, formdata=None, version=None):
    """The editor form of a just-saved template (the signature after_save() calls)."""
    return DocumentTemplateForm(formdata=None, obj=obj, version=version)


@bp.url_value_preprocessor
def _limit_body(_endpoint, _values):
    """A post here may carry a file: far beyond its limit the body is not read at all (413).
    Set before any before_request hook (the CSRF check reads the form first)."""
    if request.method == "POST":
        request.max_content_length = REQUEST_LIMIT


def _posted_form():
    return DocumentTemplateForm()


@bp.get("/document-templates/new")
def document_new_get():
    return _editor(DocumentTemplateForm(formdata=None), None)


@bp.post("/document-templates/new")
def document_new_post():
    """Create a template; refusals stand beside their fields (422)."""
    require_admin(current_user)  # before reading the body: a refusal, not form messages
    form = _posted_form()
    if form.validate_on_submit():
        try:
            document = services.create_document(current_user, form.document_data(),
                                                 form.upload())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(document, url_for("documents.document_get",
                                                document_id=document.id),
                              LIST_EVENT, _("Document template created."), _editor,
                              _fresh_form, created=True)
    return _editor(form, None, status=refusal_status(form))


@bp.get("/document-templates/<int:document_id>")
def document_get(document_id):
    document = _document_or_404(document_id)
    return _editor(DocumentTemplateForm(formdata=None, obj=document, version=document.version),
                   document)


@bp.post("/document-templates/<int:document_id>")
def document_post(document_id):
    """Save name, kind, content, a new file or the file's removal."""
    document = _document_or_404(document_id)
    require_admin(current_user)
    form = _posted_form()
    if form.validate_on_submit():
        try:
            saved = services.update_document(current_user, document, form.document_data(),
                                             form.upload(), form.remove_file.data,
                                             form.version.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(document, url_for("documents.document_get",
                                                document_id=document.id),
                              LIST_EVENT, _("Saved.") if saved else _("No changes."),
                              _editor, _fresh_form)
    return _editor(form, document, status=refusal_status(form))


@bp.get("/document-templates/<int:document_id>/delete")
def document_delete_get(document_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm)."""
    document = _document_or_404(document_id)
    require_admin(current_user)
    return render_template(
        "confirm_delete.html", record=document, kind=_("document template"),
        action=url_for("documents.document_delete_post", document_id=document.id),
        cancel=url_for("documents.document_get", document_id=document.id))


@bp.post("/document-templates/<int:document_id>/delete")
def document_delete_post(document_id):
    document = _document_or_404(document_id)

    def refused(error):
        form = DocumentTemplateForm(formdata=None, obj=document, version=document.version)
        form.form_errors.append(str(error.message))
        return _editor(form, document, status=409)

    return delete_response(document, services.delete_document, "documents.documents",
                           LIST_EVENT, refused)


@bp.get("/document-templates/<int:document_id>/file")
def file_get(document_id):
    """The template's file as a download under its own name, never shown in the page."""
    found = services.file_of(_document_or_404(document_id))
    if found is None:
        abort(404)
    data, mime, name = found
    # Text types get "; charset=utf-8" from werkzeug: the upload check took UTF-8 only.
    response = send_file(io.BytesIO(data), mimetype=mime, as_attachment=True,
                         download_name=name, etag=False, conditional=False)
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the search dialog ("Suchen …") ---------------------------------------------------------

def _picker_context():
    target = request.args.get("target", "")
    q = params.text(request.args, "q")
    kind = _kind_arg()
    found, more = services.picker_choices(q, kind)
    return dict(target=target if TARGET_ID.fullmatch(target) else "", q=q, kind=kind,
                kind_labels=KIND_LABELS, found=found, more=more,
                label=params.text(request.args, "label", max_length=120))


@bp.get("/document-templates/picker")
def picker_get():
    """The search dialog for the input `target` (its id), templates of `kind` first shown;
    without htmx the list, which has the same search."""
    if not hx.wants_fragment():
        return hx.redirect(url_for("documents.documents", kind=_kind_arg() or None))
    return render_template("documents/_picker.html", **_picker_context())


@bp.get("/document-templates/picker/results")
def picker_results_get():
    """The dialog's live results."""
    if not hx.wants_fragment():
        return hx.redirect(url_for("documents.documents", q=params.text(request.args, "q")
                                   or None, kind=_kind_arg() or None))
    return render_template("documents/_picker_results.html", **_picker_context())
