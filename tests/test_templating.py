"""webapp.templating.Template: imports answer as Jinja's own do, with and without globals the
importing template has and the imported one lacks."""
import jinja2
import pytest

from webapp.templating import Template

SOURCES = {
    "macros.html": "{% macro hello() %}{{ greeting }}, {{ who | default('nobody') }}{% endmacro %}",
    "page.html": "{% from 'macros.html' import hello %}{{ hello() }}",
}


@pytest.fixture(params=[jinja2.Template, Template], ids=["jinja", "ours"])
def env(request):
    env = jinja2.Environment(loader=jinja2.DictLoader(SOURCES))
    env.template_class = request.param
    env.globals["greeting"] = "Hallo"
    return env


def test_an_import_sees_the_apps_globals(env):
    assert env.get_template("page.html").render() == "Hallo, nobody"
    assert env.get_template("page.html").render() == "Hallo, nobody"  # the cached module


def test_an_import_sees_the_importing_templates_own_globals(env):
    page = env.get_template("page.html", globals={"who": "Welt"})
    assert page.render() == "Hallo, Welt"
    # ... and that module is not what a plain import gets later.
    assert env.get_template("macros.html").module.hello() == "Hallo, nobody"


def test_the_app_renders_with_it(app):
    assert app.jinja_env.template_class is Template
