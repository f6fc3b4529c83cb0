"""Phone-sized screens: the lobby, the game and the results fit the width (no sideways scrolling)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from e2e_ui import Player

SHOTS = Path(__file__).resolve().parent / "artifacts" / "test_phone_layout_has_no_horizontal_overflow"


def assert_fits(player: Player, screen: str) -> None:
    report = player.has_horizontal_overflow()
    assert report["scrollWidth"] <= report["clientWidth"], f"{screen} scrolls sideways: {report}"
    assert not report["offenders"], f"{screen} has elements past the edge: {report['offenders']}"


def test_phone_layout_has_no_horizontal_overflow(open_player) -> None:
    first = open_player("phone-a", phone=True)
    second = open_player("phone-b", phone=True)
    assert_fits(first, "lobby")

    first.find_match("spanish")
    second.find_match("spanish")
    first.wait_round(1)
    second.wait_round(1)
    first.guess("0000")
    expect(second.feed("wrong")).to_have_count(1)
    expect(first.t("guess-input")).to_be_in_viewport()
    expect(first.t("hint")).to_be_in_viewport()
    assert_fits(first, "game")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = first.page.screenshot(path=str(SHOTS / "phone-game.png"), full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    # The screenshot is exactly as wide as the phone: nothing sticks out to the right.
    width = int.from_bytes(shot[16:20], "big")
    assert width == first.page.viewport_size["width"] * 2  # device scale factor 2

    second.t("quit-game").click()
    first.expect_results()
    assert_fits(first, "results")
    first.page.screenshot(path=str(SHOTS / "phone-results.png"), full_page=True)
