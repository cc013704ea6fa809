"""Secrets kept encrypted at rest, with keys derived from the configuration.

Two-step secrets are stored as "v1:" + base64(nonce + AES-GCM ciphertext). The key is
derived with HKDF from `TOTP_KEY` when set (configuration or environment), else from
`SECRET_KEY`. Set `TOTP_KEY` to the old `SECRET_KEY` before rotating `SECRET_KEY`, or
every stored secret becomes unreadable (people with two-step sign-in could not sign in).

A value without the prefix was written before encryption existed; it is read as it is,
and migration 0009 encrypts every such value it finds.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "v1:"
_NONCE_BYTES = 12
# Binds a ciphertext to its use: a value copied into another kind of column won't open.
_TOTP_CONTEXT = b"users.totp_secret"

log = logging.getLogger(__name__)


class SecretUnreadable(ValueError):
    """A stored secret cannot be decrypted with the configured key."""


@lru_cache(maxsize=8)
def _derive(material: str, purpose: bytes) -> bytes:
    # HKDF, not the raw setting: one configured value gives independent keys per purpose.
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"skills-tracker " + purpose
    ).derive(material.encode())


def key_material(config: dict | None = None) -> str:
    """The configured value every at-rest key is derived from."""
    config = current_app.config if config is None else config
    material = config.get("TOTP_KEY") or os.environ.get("TOTP_KEY") or config.get("SECRET_KEY")
    if not material:
        raise RuntimeError("SECRET_KEY (or TOTP_KEY) must be set to store two-step secrets.")
    return str(material)


def derived_key(purpose: bytes, config: dict | None = None) -> bytes:
    """A 32-byte key for one purpose ("totp secrets", "recovery codes")."""
    return _derive(key_material(config), purpose)


def encrypt(plain: str, config: dict | None = None) -> str:
    """`plain` as a prefixed, encrypted, printable value."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(derived_key(b"totp secrets", config)).encrypt(
        nonce, plain.encode(), _TOTP_CONTEXT
    )
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(stored: str, config: dict | None = None) -> str:
    """The plain value of `stored`; an unprefixed (pre-encryption) value is returned as is."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
        plain = AESGCM(derived_key(b"totp secrets", config)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _TOTP_CONTEXT
        )
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise SecretUnreadable("the stored secret does not open with the configured key") from exc
    return plain.decode()


def is_encrypted(stored: str | None) -> bool:
    return stored is not None and stored.startswith(PREFIX)


def keyed_hash(value: str, purpose: bytes, config: dict | None = None) -> str:
    """HMAC-SHA256 of `value` under a derived key: a stolen table alone can't be guessed
    through offline, since the key is not in the database."""
    return hmac.new(derived_key(purpose, config), value.encode(), hashlib.sha256).hexdigest()


class EncryptedSecret(TypeDecorator):
    """A short secret, encrypted on the way into the database and decrypted on the way out.

    A value that won't open (the key changed) loads as the stored text, which is never a
    valid authenticator secret, so verification fails closed and the page still renders.
    """

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or is_encrypted(value):
            return value  # already sealed: an unreadable value written back unchanged
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return decrypt(value)
        except SecretUnreadable:
            log.error("A two-step secret does not open with the configured TOTP_KEY/SECRET_KEY.")
            return value
