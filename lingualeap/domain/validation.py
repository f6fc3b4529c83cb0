"""Rules for what people may type as names, e-mail addresses, passwords and room codes."""

from __future__ import annotations

import re
import unicodedata

from lingualeap.domain.errors import GameError

NAME_MIN, NAME_MAX = 2, 32
PASSWORD_MIN, PASSWORD_MAX = 8, 128
EMAIL_MAX = 254
GUESS_MAX = 64
ROOM_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is not our business.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


def _printable(text: str) -> bool:
    return all(unicodedata.category(c)[0] not in ("C", "Z") or c == " " for c in text)


def sanitise_username(raw: str) -> str:
    """Collapse whitespace, drop control and formatting characters, clip to the maximum length."""
    kept = "".join(c for c in unicodedata.normalize("NFC", raw) if _printable(c) or c.isspace())
    return " ".join(kept.split())[:NAME_MAX]


def validate_name(raw: object, field: str = "name") -> str:
    if not isinstance(raw, str):
        raise GameError("invalid_field", f"{field} must be a string")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise GameError("invalid_field", f"{field} must be {NAME_MIN}-{NAME_MAX} characters")
    if not _printable(name):
        raise GameError("invalid_field", f"{field} must contain only printable characters")
    return name


def validate_email(raw: object) -> str:
    if not isinstance(raw, str):
        raise GameError("invalid_field", "email must be a string")
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email):
        raise GameError("invalid_field", "email must be a valid address like name@example.com")
    return email


def validate_password(raw: object) -> str:
    if not isinstance(raw, str):
        raise GameError("invalid_field", "password must be a string")
    if not PASSWORD_MIN <= len(raw) <= PASSWORD_MAX:
        raise GameError(
            "invalid_field", f"password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters"
        )
    return raw


def validate_room_id(raw: object) -> str:
    if not isinstance(raw, str) or not ROOM_ID_RE.match(raw):
        raise GameError("invalid_field", "roomId must be 1-32 letters, digits, '_' or '-'")
    return raw


def validate_guess(raw: object) -> str:
    if not isinstance(raw, str):
        raise GameError("invalid_field", "guess must be a string")
    if len(raw) > GUESS_MAX:
        raise GameError("invalid_field", f"guess must be at most {GUESS_MAX} characters")
    if not raw.strip():
        raise GameError("invalid_field", "guess must not be empty")
    return raw
