"""SiNNO, the customer app (seed 004, issue 14): the SiNNO-App service logs in and out as
outbound work (Anmelden, Abmelden), the SiNNO-Chat service's messages are synchronised by the
server and answered by staff, new customer messages notify the staff who want it, and a
customer's app access is switched on and off on the customer (Kundenfreischaltung).
Protocol: docs/partners/sinno.md."""
from flask import Blueprint

# Routes are attached by .views (the customer's SiNNO-App tab, the chat list).
bp = Blueprint("sinno", __name__)
