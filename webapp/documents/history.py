"""What the change log shows of document templates (registered by create_app): labels, a
link, the kind in words. The file's bytes are never logged: a digest stands for them."""
from flask_babel import lazy_gettext as _l

from ..changelog.registry import form_labels, page
from .forms import KIND_LABELS, DocumentTemplateForm
from .models import DocumentTemplate
from .services import ENTITY, FILE_DIGEST


def register(log):
    labels = {**form_labels(DocumentTemplateForm), "file_name": _l("File"),
              "file_type": _l("File type"), "file_size": _l("File size (bytes)"),
              FILE_DIGEST: _l("File content (SHA-256)")}
    for name in ("file", "remove_file"):
        labels.pop(name, None)
    log.entity(ENTITY, _l("Document template"), model=DocumentTemplate,
               link=page("documents.document_get", "document_id"), labels=labels,
               words={"kind": lambda code: KIND_LABELS.get(code, code)})
