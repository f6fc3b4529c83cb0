"""Guests, private rooms by link, cancelling matchmaking, and errors shown to the player."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e_ui import answers_for, strip_accents, unique


def test_guests_play_by_keyboard_and_a_leaver_ends_the_match(open_player) -> None:
    zoe = open_player("zoe")
    guest = open_player("guest")
    zoe.play_as_guest(unique("Zoé "))
    other = guest.guest_name()           # a generated name such as Guest-4821
    assert other
    expect(zoe.t("accent-note")).to_contain_text("Accents are optional")

    # Keyboard only: pick Spanish with the arrow keys, then Tab to "Find a match" and press Enter.
    zoe.t("language-option-french").focus()
    zoe.page.keyboard.press("ArrowRight")
    expect(zoe.t("language-option-spanish")).to_be_checked()
    zoe.page.keyboard.press("Tab")
    expect(zoe.t("find-match")).to_be_focused()
    zoe.page.keyboard.press("Enter")
    expect(zoe.t("screen-queue")).to_be_visible()
    expect(zoe.t("queue-status")).to_contain_text("Spanish")
    guest.find_match("spanish")

    prompt, hint = zoe.wait_round(1)
    guest.wait_round(1)
    expect(zoe.t("guess-input")).to_be_focused()
    # Accents may be left out: the answer typed plainly still counts as exact.
    for candidate in answers_for("spanish", prompt, hint):
        if zoe.guess_verdict(strip_accents(candidate).upper()) == "exact":
            answer = candidate
            break
    else:
        raise AssertionError(f"none of the answers for {prompt!r} was accepted")
    for player in (zoe, guest):
        expect(player.feed("exact")).to_have_count(1)
        player.expect_answer_shown(answer)
    expect(zoe.t("round-result")).to_contain_text("You found it!")
    expect(guest.t("round-result")).to_contain_text(f"{zoe.name} found it.")

    # The guest leaves mid-match: the match ends at once for Zoé with the standings so far.
    guest.wait_round(2)
    guest.t("quit-game").click()
    expect(guest.t("screen-lobby")).to_be_visible()
    rows = zoe.expect_results()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-name", zoe.name)
    expect(rows.first.get_by_test_id("standing-xp")).to_contain_text("guest")
    expect(zoe.t("results-note")).to_contain_text("Guests keep no XP")


def test_private_room_by_shared_link(open_player) -> None:
    host = open_player("host")
    friend = open_player("friend", path=None)
    host.play_as_guest(unique("Host"))
    host.choose_language("spanish")

    host.t("random-room").click()
    code = host.t("room-code-input").input_value()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", code)
    host.t("join-room").click()
    expect(host.t("screen-room")).to_be_visible()
    expect(host.t("room-title-code")).to_have_text(code)
    expect(host.t("room-language")).to_have_text("Spanish")
    link = host.t("room-share-link").input_value()
    assert link.endswith(f"/?room={code}")
    expect(host.page).to_have_url(re.compile(rf"\?room={code}$"))
    expect(host.t("room-players").get_by_test_id("room-player")).to_have_count(1)

    # The friend opens the link: the code is pre-filled and the room joined without a click, even
    # though the friend's page starts on French and the room plays Spanish.
    friend.goto(link)
    expect(friend.t("room-code-input")).to_have_value(code)
    for player in (host, friend):
        player.expect_in_game()
        expect(player.t("game-language")).to_have_text("Spanish")
        expect(player.t("scoreboard").get_by_test_id("score-row")).to_have_count(2)
    expect(friend.errors()).to_have_count(0)
    prompt, _ = host.wait_round(1)
    assert friend.wait_round(1)[0] == prompt

    # Both see each other's guesses in the feed.
    friend.guess("0000")
    expect(host.feed("wrong")).to_have_count(1)
    expect(friend.feed("wrong")).to_have_count(1)


def test_cancel_matchmaking(open_player) -> None:
    solo = open_player("solo")
    solo.find_match("french")
    expect(solo.t("screen-queue")).to_be_visible()
    expect(solo.t("cancel-match")).to_be_focused()
    solo.t("cancel-match").click()
    expect(solo.t("screen-lobby")).to_be_visible()
    expect(solo.t("toasts").get_by_test_id("notice")).to_contain_text("left the French queue")

    # Out of the queue means nobody is matched with us: a newcomer keeps waiting.
    newcomer = open_player("newcomer")
    newcomer.find_match("french")
    expect(newcomer.t("screen-queue")).to_be_visible()
    expect(solo.t("screen-lobby")).to_be_visible()
    newcomer.t("cancel-match").click()
    expect(newcomer.t("screen-lobby")).to_be_visible()


def test_errors_are_shown_to_the_player(open_player) -> None:
    first = open_player("first")
    email, password = first.register(unique("Errol"))

    # HTTP errors: the server's {message} appears next to the form and as an alert.
    second = open_player("second")
    second.t("tab-register").click()
    second.t("register-name").fill(unique("Errol"))
    second.t("register-email").fill(email)
    second.t("register-password").fill("another password")
    second.t("register-submit").click()
    expect(second.t("register-error")).to_have_text("User already exists")
    expect(second.errors().last).to_contain_text("User already exists")

    second.t("tab-login").click()
    second.t("login-email").fill(email)
    second.t("login-password").fill("wrong password!")
    second.t("login-submit").click()
    expect(second.t("login-error")).to_have_text("Invalid email or password")
    expect(second.errors().last).to_contain_text("Invalid email or password")

    # A client-side check: a room code with spaces is refused before it is sent.
    second.t("room-code-input").fill("not a code")
    second.t("join-room").click()
    expect(second.errors().last).to_contain_text("Room codes are")

    # A server `error` event: joining a private room whose match already started.
    code = unique("late-")
    first.t("room-code-input").fill(code)
    first.t("join-room").click()
    expect(first.t("screen-room")).to_be_visible()
    third = open_player("third", path=f"/?room={code}")
    third.expect_in_game()
    late = open_player("late", path=None)
    first.wait_round(1)
    late.goto(f"/?room={code}")
    error = late.errors().last
    expect(error).to_have_attribute("data-code", "room_not_joinable")
    expect(error).to_contain_text("already started")
    expect(late.t("screen-lobby")).to_be_visible()

    # Logging out works and the socket becomes a guest again.
    first.t("quit-game").click()
    expect(first.t("screen-lobby")).to_be_visible()
    first.t("logout").click()
    expect(first.t("whoami")).to_have_attribute("data-guest", "true")
    expect(first.t("login-form")).to_be_visible()
    first.login(email, password, first.name or "")
