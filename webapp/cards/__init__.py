"""Customer cards (Kundenkarten, issue 13; seed 003): the card provider's interface
"Kundenkartenbestellung", its templates (Vorlagen zur Kartenbestellung), card orders for a
customer (process step "Kundenkarte") or an employee, and the batches that send them per
template interval. Protocol: docs/partners/cards.md."""
from flask import Blueprint

# Routes are attached by .views, which create_app() imports after all models are loaded.
bp = Blueprint("cards", __name__)
