"""A document template: a name, its kind, and either text content (with placeholders) or an
uploaded file (PDF, image, Word), kept in the database so a chain's installation is one
backup."""
from sqlalchemy import CheckConstraint, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, Tracked

# Art: a card's print layout, a cover letter, anything else.
KINDS = ("card_layout", "cover_letter", "other")
MAX_FILE_BYTES = 2 * 1024 * 1024


class DocumentTemplate(Tracked, db.Model):
    __tablename__ = "document_templates"
    __table_args__ = (CheckConstraint(f"kind IN {KINDS!r}", name="kind"), IDS_NEVER_REUSED)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    content: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str] = mapped_column(String(200), default="")
    file_type: Mapped[str] = mapped_column(String(100), default="")
    file_size: Mapped[int] = mapped_column(Integer, default=0)
    # Read only when downloaded: lists and pickers never load the bytes.
    file_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    def __str__(self):
        return self.name
