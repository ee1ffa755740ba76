"""The document template editor: name, kind, text content or a file."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import NoMarkup, VersionedForm, strip
from .files import ACCEPT
from .services import CONTENT_MAX_LENGTH

KIND_LABELS = {
    "card_layout": _l("Card layout"),
    "cover_letter": _l("Cover letter"),
    "other": _l("Other"),
}


class DocumentTemplateForm(VersionedForm):
    name = StringField(_l("Name"), filters=[strip],
                       validators=[DataRequired(), Length(max=120), NoMarkup()])
    kind = SelectField(_l("Kind"), validate_choice=True, default="other",
                       choices=[SelectChoice(value, label) for value, label in KIND_LABELS.items()])
    content = TextAreaField(_l("Content"), validators=[Length(max=CONTENT_MAX_LENGTH)],
                            description=_l("Text with placeholders; or upload a file instead."))
    file = FileField(_l("File"), render_kw={"accept": ACCEPT},
                     description=_l("PDF, PNG, JPEG, Word (DOCX), OpenDocument (ODT), text or "
                                    "HTML, at most 2 MB. A new file replaces the stored one."))
    remove_file = BooleanField(_l("Remove the stored file"))

    def document_data(self):
        return {"name": self.name.data, "kind": self.kind.data, "content": self.content.data or ""}

    def upload(self):
        """(file name, bytes) of a chosen file, or None when none was chosen."""
        storage = self.file.data
        if storage is None or not getattr(storage, "filename", ""):
            return None
        return storage.filename, storage.read()
