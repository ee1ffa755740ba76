"""The blueprint of the interface screens, apart from the package's __init__ so that importing
the catalogue stays free of Flask. Routes are attached by .views, which create_app() imports."""
from flask import Blueprint

bp = Blueprint("interfaces", __name__)
