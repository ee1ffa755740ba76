from flask import Blueprint

# Routes are attached by .views, which create_app() imports after all models are loaded.
bp = Blueprint("ordering", __name__)
