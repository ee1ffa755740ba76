"""The command adapter with real scripts: results in JSON and XML, the order file, exit codes,
a hanging program and its child killed on timeout, garbage output, and placeholder values
that try to inject commands."""
import dataclasses
import json
import os
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from webapp.ordering.adapters import get_adapter
from webapp.ordering.adapters.base import ACCEPTED, ORDERED, PERMANENT, Party
from webapp.ordering.adapters.command import arguments

from .conftest import order_request, position, wait_until

ADAPTER = get_adapter("ear_mould_command")


def script(folder, name, body, interpreter="/bin/sh"):
    path = folder / name
    path.write_text(f"#!{interpreter}\n{body}")
    path.chmod(0o755)
    return str(path)


def command_request(program, arguments="--auftrag {auftragsdatei}", **config):
    """An order for `program`, which the operator allows."""
    values = dict(program=program, arguments=arguments, working_dir="", timeout=10,
                  output_format="json")
    values.update(config)
    return order_request("ear_mould_command", values, secrets={}, allowed_programs=(program,))


# A Python script that records its arguments, environment and order files next to itself.
RECORDER = """
import json, os, pathlib, shutil, sys
here = pathlib.Path(__file__).parent
for arg in sys.argv[1:]:
    if arg.endswith((".json", ".xml")) and os.path.exists(arg):
        shutil.copy(arg, here / ("copy" + pathlib.Path(arg).suffix))
(here / "seen.json").write_text(json.dumps({"argv": sys.argv[1:], "env": dict(os.environ),
                                            "cwd": os.getcwd()}))
number = "LAB-" + json.loads(pathlib.Path(sys.argv[1]).read_text())["reference"]
if sys.argv[-1].endswith(".xml"):  # answer in the format of {auftragsdatei}
    print(f'<result ok="true"><order_number>{number}</order_number></result>')
else:
    print(json.dumps({"ok": True, "order_number": number, "status": "angelegt"}))
"""


def test_a_json_result_is_accepted_with_the_programs_number(tmp_path):
    """Exit 0 and {"ok": true, ...} → ACCEPTED, ordered, with number and the program's word."""
    program = script(tmp_path, "order.sh",
                     'echo \'{"ok": true, "order_number": "X-1", "status": "angelegt"}\'')
    outcome = ADAPTER.submit(command_request(program))
    assert (outcome.kind, outcome.status, outcome.exit_code) == (ACCEPTED, ORDERED, 0)
    assert (outcome.external_number, outcome.external_status) == ("X-1", "angelegt")


def test_an_xml_result_is_accepted(tmp_path):
    """output_format xml: <result ok="true"><order_number>…</order_number></result>."""
    program = script(tmp_path, "order.sh", "echo '<result ok=\"true\"><order_number>X-2"
                                           "</order_number><status>neu</status></result>'")
    outcome = ADAPTER.submit(command_request(program, output_format="xml"))
    assert (outcome.kind, outcome.external_number, outcome.external_status) == (ACCEPTED, "X-2",
                                                                                "neu")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_program_reads_the_order_file_in_both_formats(fmt, tmp_path, monkeypatch):
    """{auftragsdatei} is in the output format, _json and _xml name both; the program's
    environment has none of our secrets; it runs in a temporary folder by default."""
    program = script(tmp_path, "order.py", RECORDER, sys.executable)
    monkeypatch.setenv("SECRET_KEY", "do-not-pass-me")
    outcome = ADAPTER.submit(command_request(
        program, "{auftragsdatei_json} {auftragsdatei_xml} {auftragsdatei}", output_format=fmt))
    assert outcome.kind == ACCEPTED and outcome.external_number == "LAB-B-2026-000042"
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["argv"][2] == seen["argv"][0 if fmt == "json" else 1]
    assert seen["argv"][2].endswith(f".{fmt}")
    assert "SECRET_KEY" not in seen["env"] and "PATH" in seen["env"]
    assert not os.path.exists(seen["cwd"])  # the temporary folder is gone afterwards
    order = json.loads((tmp_path / "copy.json").read_text())
    assert order["reference"] == "B-2026-000042" and order["position"]["side"] == "left"
    assert order["customer"] == {"name": "Erika Muster"}
    root = ET.parse(tmp_path / "copy.xml").getroot()
    assert root.findtext("reference") == "B-2026-000042"
    assert root.findtext("position/venting") == "1.0"
    assert root.findtext("branch/name") == "Stuttgart"


def test_placeholder_values_cannot_inject_arguments_or_commands(tmp_path):
    """Values with spaces, quotes, ; and $(…) stay one argument each and run nothing."""
    program = script(tmp_path, "order.py", RECORDER, sys.executable)
    (tmp_path / "x").mkdir()
    evil = "; rm -rf x; $(touch pwned) `touch pwned2` \"'"
    request = command_request(
        program, "{auftragsdatei} --ref {bestellnummer} --kunde={kundennummer} {filiale} "
                 "'{idempotenzschluessel}'", working_dir=str(tmp_path))
    request = dataclasses.replace(request, reference="B-1" + evil, customer_number=evil,
                                  branch=Party(name=evil), position=position(notes=evil))
    outcome = ADAPTER.submit(request)
    assert outcome.kind == ACCEPTED
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["argv"][1:] == ["--ref", "B-1" + evil, "--kunde=" + evil, evil,
                                request.idempotency_key]
    assert (tmp_path / "x").is_dir()
    assert not list(tmp_path.glob("pwned*")) and seen["cwd"] == str(tmp_path)


def test_a_non_zero_exit_is_permanent_with_the_error_output(tmp_path):
    """Exit 3 → PERMANENT with exit code and stderr."""
    program = script(tmp_path, "order.sh", "echo 'Labor nicht erreichbar' >&2\nexit 3")
    outcome = ADAPTER.submit(command_request(program))
    assert (outcome.kind, outcome.exit_code) == (PERMANENT, 3)
    assert outcome.message == "The program ended with exit code 3: Labor nicht erreichbar"


def test_ok_false_is_permanent_with_the_programs_message(tmp_path):
    """{"ok": false, "message": …} → PERMANENT with that message."""
    program = script(tmp_path, "order.sh", 'echo \'{"ok": false, "message": "Kunde gesperrt"}\'')
    outcome = ADAPTER.submit(command_request(program))
    assert outcome.kind == PERMANENT and outcome.message.endswith("Kunde gesperrt")


@pytest.mark.parametrize("fmt, output", [("json", "hello"), ("json", '{"order_number": "1"}'),
                                         ("xml", "<result/>"), ("xml", "<<<")])
def test_unreadable_output_is_permanent(fmt, output, tmp_path):
    """Garbage, or a result without ok → PERMANENT saying what was expected."""
    program = script(tmp_path, "order.sh", f"echo '{output}'")
    outcome = ADAPTER.submit(command_request(program, output_format=fmt))
    assert outcome.kind == PERMANENT and outcome.exit_code == 0
    assert f"not the expected {fmt.upper()} result" in outcome.message


def _alive(pid):
    """Whether a process runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_hanging_program_and_its_child_are_killed_on_timeout(tmp_path):
    """timeout 1 s: the script, which ignores SIGTERM, and its `sleep 60` child both die; the
    call returns soon after the timeout."""
    program = script(tmp_path, "order.sh",
                     f"trap '' TERM\nsleep 60 &\necho $! > {tmp_path}/child\nwait\n")
    started = time.monotonic()
    outcome = ADAPTER.submit(command_request(program, timeout=1))
    elapsed = time.monotonic() - started
    assert outcome.kind == PERMANENT
    assert outcome.message.startswith("The program did not finish within 1 s and was stopped")
    assert elapsed < ADAPTER.max_duration(command_request(program, timeout=1))
    child = int((tmp_path / "child").read_text())
    wait_until(lambda: not _alive(child), 5, "the child to die")


@pytest.mark.parametrize("program, words", [("/nonexistent/order", "does not exist"),
                                            ("", "names no program")])
def test_a_missing_program_is_permanent(program, words):
    """No such program, or none configured → PERMANENT."""
    outcome = ADAPTER.submit(command_request(program))
    assert outcome.kind == PERMANENT and words in outcome.message


def test_a_program_that_is_not_executable_is_permanent(tmp_path):
    """A file without the execute bit → PERMANENT."""
    path = tmp_path / "order.sh"
    path.write_text("#!/bin/sh\necho hi\n")
    outcome = ADAPTER.submit(command_request(str(path)))
    assert outcome.kind == PERMANENT and "not executable" in outcome.message


@pytest.mark.parametrize("args, words", [("{auftrag}", "unknown placeholder {auftrag}"),
                                         ("'{auftragsdatei}", "a quotation mark is not closed")])
def test_bad_arguments_are_permanent(args, words, tmp_path):
    """An unknown placeholder or an unbalanced quote → PERMANENT before anything runs."""
    program = script(tmp_path, "order.sh", f"touch {tmp_path}/ran")
    outcome = ADAPTER.submit(command_request(program, args))
    assert outcome.kind == PERMANENT and words in outcome.message
    assert not (tmp_path / "ran").exists()


def test_a_missing_working_folder_is_permanent(tmp_path):
    """working_dir that does not exist → PERMANENT."""
    outcome = ADAPTER.submit(command_request("/bin/true", working_dir=str(tmp_path / "no")))
    assert outcome.kind == PERMANENT and "does not exist" in outcome.message


def test_arguments_replace_inside_each_split_argument():
    """shlex first, placeholders second: quoting in the template works, values stay whole."""
    values = {"auftragsdatei": "/tmp/a b.json", "bestellnummer": "B 1"}
    assert arguments("--file={auftragsdatei} 'Bestellung {bestellnummer}' \"{}\"", values) == [
        "--file=/tmp/a b.json", "Bestellung B 1", "{}"]


def test_max_duration_is_the_timeout_plus_a_margin():
    """The claim lease covers the timeout, the kill and the margin."""
    assert ADAPTER.max_duration(command_request("/bin/true", timeout=60)) == 65
    assert not ADAPTER.can_lookup


def test_a_nul_character_in_a_value_is_permanent(tmp_path):
    """No argument can carry a NUL character: PERMANENT, not a crash."""
    program = script(tmp_path, "order.sh", "echo '{\"ok\": true}'")
    request = dataclasses.replace(command_request(program, "{kundennummer}"),
                                  customer_number="100\x0001")
    outcome = ADAPTER.submit(request)
    assert outcome.kind == PERMANENT and "NUL" in outcome.message
