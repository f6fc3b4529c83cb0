import pytest

from lingualeap.domain import validation
from lingualeap.domain.errors import GameError


def test_names_are_trimmed_and_bounded() -> None:
    assert validation.validate_name("  Ana   María ") == "Ana María"
    for bad in ("a", "x" * 33, 42, "bad\x00name"):
        with pytest.raises(GameError) as e:
            validation.validate_name(bad)
        assert e.value.code == "invalid_field"


def test_emails_are_lowercased_and_checked() -> None:
    assert validation.validate_email(" Ana@Example.COM ") == "ana@example.com"
    for bad in ("ana", "ana@example", "a b@example.com", "@example.com", None):
        with pytest.raises(GameError):
            validation.validate_email(bad)


def test_passwords_have_length_limits() -> None:
    assert validation.validate_password("correct horse") == "correct horse"
    for bad in ("short", "x" * 129, 12345678):
        with pytest.raises(GameError):
            validation.validate_password(bad)


def test_room_ids() -> None:
    assert validation.validate_room_id("Room_1-a") == "Room_1-a"
    for bad in ("", "x" * 33, "a b", "../etc", 7):
        with pytest.raises(GameError):
            validation.validate_room_id(bad)


def test_guest_names_are_sanitised() -> None:
    assert validation.sanitise_username("  Zoé\u200b\x07  the   great ") == "Zoé the great"
    assert len(validation.sanitise_username("y" * 100)) == 32
