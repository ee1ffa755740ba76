"""Secrets at rest: a MultiFernet keyring from ENCRYPTION_KEYS, an `EncryptedText` column type,
and `flask rotate-encryption-keys`, which re-encrypts every such column with the newest key.

ENCRYPTION_KEYS is a comma-separated list, newest first. Each entry is any long random string;
the Fernet key is derived from it with HKDF-SHA256, so operators never handle Fernet's own
key format. The list is separate from SECRET_KEY: rotating the session key must never make
stored credentials unreadable."""
import base64
import logging

import click
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Text
from sqlalchemy.orm import undefer
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.types import TypeDecorator

from .extensions import db

log = logging.getLogger(__name__)

# Changing this makes every stored secret unreadable: it is part of the key derivation.
HKDF_INFO = b"schnittstellen/secrets-at-rest/v1"


class SecretUnreadable(Exception):
    """A stored secret does not decrypt with any configured key (a key was removed from
    ENCRYPTION_KEYS, or the value was tampered with). Never carries the value."""


def _fernet(secret):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def parse_keys(value):
    """The configured secrets, newest first; blanks are ignored."""
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = str(value or "").split(",")
    keys = [item.strip() for item in items if item and item.strip()]
    if not keys:
        raise RuntimeError("ENCRYPTION_KEYS is empty: secrets cannot be stored.")
    return keys


def keyring(app=None):
    """The MultiFernet for the app's ENCRYPTION_KEYS, built once per distinct value."""
    app = app or current_app
    value = app.config["ENCRYPTION_KEYS"]
    cached = app.extensions.get("schnittstellen.keyring")
    if cached is None or cached[0] != value:
        cached = (value, MultiFernet([_fernet(k) for k in parse_keys(value)]))
        app.extensions["schnittstellen.keyring"] = cached
    return cached[1]


def encrypt(plaintext):
    return keyring().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token):
    try:
        return keyring().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError, UnicodeError) as error:
        raise SecretUnreadable("A stored secret cannot be decrypted with ENCRYPTION_KEYS.") from error


class EncryptedText(TypeDecorator):
    """A string stored as a Fernet token. Map it with `deferred=True` so that loading a row
    (e.g. to show whether a secret is set) never decrypts it."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return decrypt(value)


def encrypted_columns():
    """(model class, attribute name) of every EncryptedText column of the mapped models."""
    found = []
    for mapper in db.Model.registry.mappers:
        for attr in mapper.column_attrs:
            if any(isinstance(column.type, EncryptedText) for column in attr.columns):
                found.append((mapper.class_, attr.key))
    return sorted(found, key=lambda item: (item[0].__name__, item[1]))


def rotate_all():
    """Decrypt every stored secret (with any configured key) and store it again encrypted
    with the newest key. All or nothing: one unreadable value aborts without saving.
    Returns {"Model.attribute": count}."""
    counts = {}
    try:
        for model, key in encrypted_columns():
            column = getattr(model, key)
            rows = db.session.scalars(db.select(model).options(undefer(column))
                                      .where(column.is_not(None))).all()
            for row in rows:
                getattr(row, key)  # decrypts, raising SecretUnreadable for a lost key
                flag_modified(row, key)  # written back through process_bind_param: newest key
            counts[f"{model.__name__}.{key}"] = len(rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


@click.command("rotate-encryption-keys")
@with_appcontext
def rotate_encryption_keys_command():
    """Re-encrypt every stored secret with the newest key of ENCRYPTION_KEYS.

    Put the new key first (ENCRYPTION_KEYS="new,old"), run this, then drop the old key."""
    try:
        counts = rotate_all()
    except SecretUnreadable as error:
        raise click.ClickException(
            f"{error} Nothing was changed. Add the key the secrets were written with to "
            "ENCRYPTION_KEYS (after the new one) and run the command again.") from error
    total = sum(counts.values())
    for name, count in counts.items():
        click.echo(f"{name}: {count}")
    click.echo(f"Re-encrypted {total} secret(s) with the newest key.")


def register_cli(app):
    app.cli.add_command(rotate_encryption_keys_command)
