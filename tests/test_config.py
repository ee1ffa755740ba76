"""Configuration precedence: defaults → instance/config.py → environment → test dict."""
import os

import pytest

from webapp import MissingKeys, create_app
from webapp.config import DEFAULTS, ENV_ALIASES


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A private instance folder and an environment without our variables."""
    for name in list(os.environ):
        if name in ENV_ALIASES or name.startswith("SCHNITTSTELLEN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SCHNITTSTELLEN_INSTANCE_PATH", str(tmp_path))
    return tmp_path


def test_defaults_apply_without_instance_config_or_environment(instance, monkeypatch):
    """With nothing configured, the defaults hold; in development secrets are generated into
    the instance."""
    monkeypatch.setenv("SCHNITTSTELLEN_DEVELOPMENT", "true")
    app = create_app()
    assert app.config["PAGE_SIZE"] == DEFAULTS["PAGE_SIZE"]
    assert app.config["REDIS_URL"] is None
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///schnittstellen.db"
    assert app.config["SECRET_KEY"] == (instance / "secret_key").read_text().strip()
    assert app.config["ENCRYPTION_KEYS"] == (instance / "encryption.key").read_text().strip()
    assert app.config["ENCRYPTION_KEYS"] != app.config["SECRET_KEY"]


def test_instance_config_overrides_defaults(instance):
    """instance/config.py wins over the defaults."""
    (instance / "config.py").write_text('PAGE_SIZE = 50\nREDIS_URL = "redis://instance:6379/0"\n'
                                        'SECRET_KEY = "s"\nENCRYPTION_KEYS = "e"\n')
    app = create_app()
    assert app.config["PAGE_SIZE"] == 50
    assert app.config["REDIS_URL"] == "redis://instance:6379/0"


def test_environment_overrides_instance_config(instance, monkeypatch):
    """Well-known variables and SCHNITTSTELLEN_* (parsed as JSON) win over instance/config.py."""
    (instance / "config.py").write_text(
        'PAGE_SIZE = 50\nREDIS_URL = "redis://instance:6379/0"\nSECRET_KEY = "from-instance"\n')
    monkeypatch.setenv("REDIS_URL", "redis://env:6379/1")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("ENCRYPTION_KEYS", "from-env-too")
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db/schnittstellen")
    monkeypatch.setenv("SCHNITTSTELLEN_PAGE_SIZE", "75")
    monkeypatch.setenv("SCHNITTSTELLEN_SESSION_COOKIE_SECURE", "false")
    app = create_app()
    assert app.config["REDIS_URL"] == "redis://env:6379/1"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["PAGE_SIZE"] == 75
    # `make run` relies on this: plain http on loopback needs non-Secure cookies.
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://app@db/schnittstellen"


def test_test_dict_overrides_everything(instance, monkeypatch):
    """A test's dict is the last word; instance config and environment are not read then."""
    (instance / "config.py").write_text('PAGE_SIZE = 50\n')
    monkeypatch.setenv("SCHNITTSTELLEN_PAGE_SIZE", "75")
    monkeypatch.setenv("REDIS_URL", "redis://env:6379/1")
    app = create_app({"PAGE_SIZE": 10, "SECRET_KEY": "t", "ENCRYPTION_KEYS": "k",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 't.db'}"})
    assert app.config["PAGE_SIZE"] == 10
    assert app.config["REDIS_URL"] is None


def test_production_refuses_to_start_without_the_keys(instance, monkeypatch):
    """Outside development a missing key stops the start and says how to fix it; nothing is
    generated (a second machine would otherwise encrypt with a key of its own)."""
    with pytest.raises(MissingKeys, match="SECRET_KEY and ENCRYPTION_KEYS not set"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "from-env")
    with pytest.raises(MissingKeys, match="^ENCRYPTION_KEYS not set.*token_urlsafe"):
        create_app()
    assert not (instance / "encryption.key").exists() and not (instance / "secret_key").exists()
    monkeypatch.setenv("ENCRYPTION_KEYS", "from-env-too")
    assert create_app().config["ENCRYPTION_KEYS"] == "from-env-too"


def test_refusal_points_at_keys_this_instance_generated_earlier(instance, monkeypatch):
    """An instance that ran in development before: the message names the generated files to
    carry over instead of inventing new keys."""
    monkeypatch.setenv("SCHNITTSTELLEN_DEVELOPMENT", "true")
    create_app()
    monkeypatch.delenv("SCHNITTSTELLEN_DEVELOPMENT")
    with pytest.raises(MissingKeys, match="keep using them: SECRET_KEY is in .*secret_key"):
        create_app()
