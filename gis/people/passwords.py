"""Passwords as argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommended
setting): a stolen ``people`` table costs an attacker ~50 ms and 64 MiB per guess."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gis.errors import OnemapError

MIN_LENGTH = 10
_hasher = PasswordHasher()


class WeakPassword(OnemapError):
    """A password too short or too plain to be set."""


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of ``password``; WeakPassword when it is under
    :data:`MIN_LENGTH` characters or one character repeated."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(set(password)) < 4:
        raise WeakPassword("a password needs at least 4 different characters")
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Checked when a login is unknown, so that an unknown login takes as long to refuse as a
# wrong password and the answer's time does not tell which logins exist.
UNKNOWN_LOGIN_HASH = _hasher.hash("not a password of anyone")
