"""What the Kommandozeilenbefehl (webapp/ordering/adapters/command.py) says went wrong is
stored in the language of whoever wrote it — the worker writes the installation's default,
German, unlike the English app of the other ordering tests — and the German order page shows
it in German, with the program's own words as they came: the demo's ordering program
(sandbox/order_command.py, on the operator's list) ending with an exit code, refusing bad
arguments before anything runs, a program no longer allowed, a missing working folder, an
answer that is not the promised JSON; English where English is chosen."""
import pytest
from flask_babel import force_locale
from markupsafe import escape

from tests.factories import fresh, make_config, order_one
from tests.translated import de
from webapp import demo, programs
from webapp.ordering.adapters import get_adapter
from webapp.ordering.adapters.base import ACCEPTED, PERMANENT
from webapp.ordering.models import ERROR, Order

from .conftest import order_request

pytestmark = pytest.mark.redis

COMMAND = get_adapter("ear_mould_command")
PROGRAM = str(demo.ORDER_PROGRAM)


@pytest.fixture
def app_config(tmp_path, redis_url):
    """German, the installation's default (the ordering conftest's app is English); the
    demo's ordering program on the operator's list."""
    return make_config(tmp_path, REDIS_URL=redis_url, ORDER_RETRY_BASE_SECONDS=0.05,
                       ORDER_RETRY_CAP_SECONDS=0.2, ORDER_LEASE_MARGIN_SECONDS=1,
                       ALLOWED_PROGRAMS=demo.SETTINGS["ALLOWED_PROGRAMS"])


def command_request(arguments, **config):
    values = dict(program=PROGRAM, arguments=arguments, working_dir="", timeout=30,
                  output_format="json")
    values.update(config)
    return order_request("ear_mould_command", values, secrets={},
                         allowed_programs=programs.allowed_paths(demo.SETTINGS))


def test_an_exit_code_reads_german_on_the_order_page(world, make_service, client, auth, work):
    """The service leaves out --schluessel: the program ends with exit code 2 and its usage
    on stderr; Fehler, the attempt and the order page say so in German, quoting the program."""
    make_service("ear_mould_command", {
        "companies": [str(world.hoerluchs.id)], "supplier": str(world.wholesaler.id),
        "program": PROGRAM, "arguments": "--auftrag {auftragsdatei}", "timeout": "30",
        "output_format": "json"}, name="Laborprogramm", branch_id=world.st.id)
    order = order_one(world, world.hoerluchs)
    work()
    order = fresh(Order, order.id)
    assert order.status == ERROR
    detail = order.error_message.partition(": ")[2]
    assert "--schluessel" in detail and "required" in detail  # argparse's words, as they came
    german = de("The program ended with exit code %(code)s: %(detail)s", code=2, detail=detail)
    assert order.error_message == german
    assert german.startswith("Das Programm endete mit Exit-Code 2: usage: order_command.py")
    assert [attempt.message for attempt in order.outbound.attempt_log] == [german]
    auth.login(world.staff)
    assert str(escape(german)) in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_refusals_before_and_after_running_in_either_language(app, tmp_path):
    """Bad arguments, a program off the list, a missing folder, output that is not JSON:
    German by default (as a worker writes them), English where English is chosen; the same
    program with the documented arguments places the order."""
    with app.app_context():
        good = COMMAND.submit(command_request(
            f"--auftrag {{auftragsdatei}} --schluessel {{idempotenzschluessel}} --ablage "
            f"{tmp_path}"))
        assert good.kind == ACCEPTED and good.external_number.startswith("OFM-")

        unknown = COMMAND.submit(command_request("--auftrag {auftrag}"))
        assert (unknown.kind, unknown.message) == (
            PERMANENT, "Die Argumente können nicht verwendet werden: unbekannter Platzhalter "
                       "{auftrag}.")
        unbalanced = COMMAND.submit(command_request("--auftrag '{auftragsdatei}"))
        assert unbalanced.message == de("The arguments cannot be used: %(error)s.", error=de(
            "a quotation mark is not closed or a backslash ends the line"))
        off_list = COMMAND.submit(order_request(
            "ear_mould_command", dict(program=PROGRAM, arguments=""), secrets={},
            allowed_programs=()))
        assert off_list.message == (
            f"Das Programm {PROGRAM} steht nicht (oder nicht mehr) auf der Liste der erlaubten "
            "Programme des Betreibers (ALLOWED_PROGRAMS); es wurde nichts ausgeführt.")
        missing = COMMAND.submit(command_request("", working_dir=str(tmp_path / "weg")))
        assert missing.message == f"Das Arbeitsverzeichnis {tmp_path / 'weg'} existiert nicht."

        help_text = COMMAND.submit(command_request("--help"))  # exit 0, usage on stdout
        assert help_text.message.startswith(
            "Die Ausgabe des Programms ist nicht das erwartete JSON-Ergebnis (kein JSON): …")
        assert help_text.message.endswith("folder that keeps a copy of each order")

        with force_locale("en"):
            assert COMMAND.submit(command_request("--auftrag {auftrag}")).message == (
                "The arguments cannot be used: unknown placeholder {auftrag}.")
            assert COMMAND.submit(command_request("--auftrag {auftragsdatei}")).message \
                .startswith("The program ended with exit code 2: usage: order_command.py")
