from flask import Blueprint

# Verwaltung → Betrieb (administrators): queues, workers, outbound work, orders per lab.
# Routes are attached by .views, which create_app() imports after all models are loaded.
bp = Blueprint("operations", __name__, url_prefix="/operations")
