"""Document templates (Stammdaten → Dokumentvorlagen): the print templates other domains
choose from — a customer card's layout and its cover letter (issue 13), more later."""
from flask import Blueprint

# Routes are attached by .views, which create_app() imports after all models are loaded.
bp = Blueprint("documents", __name__)
