"""The version of the installation: one source (the file VERSION), shown in the page footer to
logged-in users, by `flask version` and by `flask doctor`; and `flask doctor --before-start`,
the check an install runs before its services start."""
import re

from tests.factories import make_config
from webapp import create_app
from webapp.config import ROOT, VERSION


def test_the_file_version_is_the_one_source():
    assert VERSION == (ROOT / "VERSION").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION), VERSION


def test_flask_version_prints_it(runner):
    result = runner.invoke(args=["version"])
    assert result.exit_code == 0, result.output
    assert result.output == VERSION + "\n"


def test_the_footer_shows_it_to_logged_in_users_only(app, client, admin):
    footer = f'<footer class="page-footer">Schnittstellen {VERSION}</footer>'
    assert footer in client.get("/").get_data(as_text=True)
    login_page = app.test_client().get("/login").get_data(as_text=True)
    assert "Anmelden" in login_page and "page-footer" not in login_page


def _doctor_app(tmp_path):
    """A migrated database and no Redis at all (REDIS_URL unset), as during an install."""
    database = f"sqlite:///{tmp_path / 'install.db'}"
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=database,
                                 SECRET_KEY="install-secret-key-of-more-than-32-characters"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    return app, runner


def test_doctor_before_start_checks_what_the_install_decides(tmp_path):
    """Keys, translations, database and migrations pass without Redis or a worker; the services
    are left to the full `flask doctor`, which fails here for want of them."""
    app, runner = _doctor_app(tmp_path)
    result = runner.invoke(args=["doctor", "--before-start"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Schnittstellen {VERSION}\n")
    checked = re.findall(r"^(?:ok  |FAIL)  (\S+)", result.output, re.MULTILINE)
    assert checked == ["keys", "translations", "database", "encoding", "migrations"], result.output
    assert "ok    translations  compiled: de" in result.output
    full = runner.invoke(args=["doctor"])
    assert full.exit_code == 1
    assert f"Schnittstellen {VERSION}" in full.output and "FAIL  redis" in full.output


def test_doctor_names_uncompiled_translations(tmp_path):
    """A catalogue without its .mo (they are not in git): German would not show."""
    app, runner = _doctor_app(tmp_path)
    catalogue = tmp_path / "webapp" / "translations" / "de" / "LC_MESSAGES"
    catalogue.mkdir(parents=True)
    (catalogue / "messages.po").write_text("")
    app.root_path = str(tmp_path / "webapp")
    result = runner.invoke(args=["doctor", "--before-start"])
    assert result.exit_code == 1
    assert "FAIL  translations  not compiled: de: run `pybabel compile" in result.output
