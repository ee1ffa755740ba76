"""Kommandozeilenbefehl: run a local program for every order (docs/partners/command-line.md).

The order goes to the program as a file, JSON and XML; the arguments are split like a shell
would split them, but no shell runs: placeholders are replaced inside each argument, so a value
with spaces, quotes or `;` stays one argument and can never start another command. The program
runs in its own process group, which is killed as a whole on timeout. Only a program on the
operator's list (ALLOWED_PROGRAMS, checked again here when the job runs) is ever started.

Messages are worded through gettext (as outbound/http.py's): the worker writes them in the
installation's default language, and the order shows them as stored. The program's own words
(its message, stderr, stdout) are quoted as they came.
"""
import json
import os
import re
import shlex
import signal
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from flask_babel import gettext as _

from .base import ACCEPTED, ORDERED, PERMANENT, Adapter, OrderRequest, Outcome
from .document import order_json, order_xml

PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The only variables of ours the program sees: no key, password or database URL.
ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "HOME", "TMPDIR", "TEMP", "TMP",
            "SYSTEMROOT")
OUTPUT_LIMIT = 500       # characters of stderr/stdout quoted in a message
GRACE_SECONDS = 1.0      # between SIGTERM and SIGKILL
MARGIN_SECONDS = 5.0


def placeholders(request: OrderRequest, files: dict) -> dict:
    """Every placeholder the arguments may use, with its value for this order."""
    fmt = output_format(request)
    return {
        "auftragsdatei": files[fmt],
        "auftragsdatei_json": files["json"],
        "auftragsdatei_xml": files["xml"],
        "bestellnummer": request.reference,
        "kundennummer": request.customer_number,
        "filiale": request.branch.name if request.branch is not None else "",
        "idempotenzschluessel": request.idempotency_key,
    }


def output_format(request):
    return "xml" if request.config.get("output_format") == "xml" else "json"


def arguments(template: str, values: dict) -> list[str]:
    """The argument list: split first, then replace in each argument. ValueError for an
    unbalanced quote or an unknown placeholder."""
    def replace(match):
        if match.group(1) not in values:
            raise ValueError(_("unknown placeholder %(placeholder)s",
                               placeholder=match.group(0)))
        return values[match.group(1)]
    try:
        parts = shlex.split(template or "")
    except ValueError:  # shlex: "No closing quotation", "No escaped character"
        raise ValueError(_("a quotation mark is not closed or a backslash ends the line")) \
            from None
    return [PLACEHOLDER.sub(replace, part) for part in parts]


def _tail(text):
    text = text.strip()
    return text if len(text) <= OUTPUT_LIMIT else "…" + text[-OUTPUT_LIMIT:]


def parse_result(stdout: str, fmt: str) -> dict:
    """{"ok": bool, "order_number", "status", "message"} from the program's output; ValueError
    when it is not the documented format."""
    if fmt == "xml":
        try:
            root = ET.fromstring(stdout.strip())
        except ET.ParseError as error:
            raise ValueError(_("not XML (%(error)s)", error=error)) from None
        ok = root.get("ok")
        if root.tag != "result" or ok not in ("true", "false"):
            raise ValueError(_('expected <result ok="true|false">'))
        found = {name: (root.findtext(name) or "").strip()
                 for name in ("order_number", "status", "message")}
        return dict(found, ok=ok == "true")
    try:
        data = json.loads(stdout)
    except ValueError:
        raise ValueError(_("not JSON")) from None
    if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
        raise ValueError(_('expected an object with "ok": true or false'))
    return {"ok": data["ok"], **{name: str(data.get(name) or "")
                                 for name in ("order_number", "status", "message")}}


class CommandAdapter(Adapter):
    interface_keys = ("ear_mould_command",)
    can_lookup = False

    def max_duration(self, request: OrderRequest) -> float:
        return self._timeout(request) + MARGIN_SECONDS

    @staticmethod
    def _timeout(request):
        return float(request.config.get("timeout") or 60)

    def submit(self, request: OrderRequest) -> Outcome:
        config = request.config
        program = (config.get("program") or "").strip()
        if not program:
            return Outcome(PERMANENT, message=_("The service names no program."))
        if program not in request.allowed_programs:
            return Outcome(PERMANENT, message=_(
                "The program %(program)s is not (or no longer) on the operator's list of "
                "allowed programs (ALLOWED_PROGRAMS); nothing was run.", program=program))
        working_dir = (config.get("working_dir") or "").strip()
        if working_dir and not os.path.isdir(working_dir):
            return Outcome(PERMANENT, message=_("The working folder %(folder)s does not exist.",
                                                folder=working_dir))
        with tempfile.TemporaryDirectory(prefix="schnittstellen-order-") as folder:
            name = re.sub(r"[^\w.-]", "_", request.reference) or "auftrag"
            files = {"json": os.path.join(folder, f"{name}.json"),
                     "xml": os.path.join(folder, f"{name}.xml")}
            with open(files["json"], "w", encoding="utf-8") as out:
                out.write(order_json(request))
            with open(files["xml"], "wb") as out:
                out.write(order_xml(request))
            try:
                args = arguments(config.get("arguments", ""), placeholders(request, files))
            except ValueError as error:
                return Outcome(PERMANENT, message=_("The arguments cannot be used: %(error)s.",
                                                    error=error))
            return self._run([program, *args], working_dir or folder, request)

    def _run(self, argv, cwd, request):
        timeout = self._timeout(request)
        env = {key: os.environ[key] for key in ENV_KEEP if key in os.environ}
        try:
            process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       start_new_session=True)
        except FileNotFoundError:
            return Outcome(PERMANENT, message=_("The program %(program)s does not exist.",
                                                program=argv[0]))
        except PermissionError:
            return Outcome(PERMANENT, message=_("The program %(program)s is not executable.",
                                                program=argv[0]))
        except OSError as error:
            return Outcome(PERMANENT, message=_(
                "The program %(program)s cannot be started: %(error)s.", program=argv[0],
                error=error.strerror))
        except ValueError:  # a NUL character in the program or an argument
            return Outcome(PERMANENT, message=_("The command line contains a NUL character."))
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill(process)
            return Outcome(PERMANENT, message=_(
                "The program did not finish within %(seconds)s s and was stopped; it is "
                "unknown whether it placed the order.", seconds=f"{timeout:g}"))
        out = stdout.decode("utf-8", "replace")
        err = stderr.decode("utf-8", "replace")
        code = process.returncode
        fmt = output_format(request)
        try:
            result = parse_result(out, fmt)
        except ValueError as error:
            result, problem = None, str(error)
        if code != 0:
            detail = (result or {}).get("message") or _tail(err) or _tail(out) or _("no output")
            message = (_("The program was ended by signal %(signal)s: %(detail)s",
                         signal=-code, detail=detail) if code < 0 else
                       _("The program ended with exit code %(code)s: %(detail)s", code=code,
                         detail=detail))
            return Outcome(PERMANENT, exit_code=code, message=message)
        if result is None:
            return Outcome(PERMANENT, exit_code=code, message=_(
                "The program's output is not the expected %(format)s result (%(problem)s): "
                "%(output)s", format=fmt.upper(), problem=problem,
                output=_tail(out) or _("no output")))
        if not result["ok"]:
            return Outcome(PERMANENT, exit_code=code, message=_(
                "The program refused the order: %(message)s",
                message=result["message"] or _tail(err) or _("no message")))
        return Outcome(ACCEPTED, exit_code=code, external_number=result["order_number"],
                       external_status=result["status"], status=ORDERED,
                       message=result["message"], details={"output": _tail(out)})

    @staticmethod
    def _kill(process):
        """Stop the program and everything it started: its whole process group, politely
        first. Then collect what is left of the output, briefly (a process that left the
        group could hold the pipes open)."""
        for sig, wait in ((signal.SIGTERM, GRACE_SECONDS), (signal.SIGKILL, None)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass  # the whole group is gone already
            try:
                process.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        try:
            process.communicate(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            for pipe in (process.stdout, process.stderr):
                pipe.close()
