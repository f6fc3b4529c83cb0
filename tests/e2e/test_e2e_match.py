"""Two registered players battle in French from the browser, start to finish, and earn XP."""

from __future__ import annotations

from playwright.sync_api import expect

from e2e_ui import answers_for, partial_guess, strip_accents, unique


def test_registered_players_play_a_french_match(open_player) -> None:
    amelie = open_player("amelie")
    bruno = open_player("bruno")
    amelie.register(unique("Amelie"))
    bruno.register(unique("Bruno"))
    for player in (amelie, bruno):
        expect(player.t("profile-xp")).to_have_text("0")
        expect(player.t("profile-level")).to_have_text("1")
        expect(player.t("profile-games")).to_have_text("0")

    # Matchmaking: the first player waits visibly, the second completes the pair.
    amelie.find_match("french")
    expect(amelie.t("screen-queue")).to_be_visible()
    expect(amelie.t("queue-status")).to_contain_text("French")
    expect(amelie.t("cancel-match")).to_be_visible()
    bruno.find_match("french")
    for player in (amelie, bruno):
        player.expect_in_game()
        expect(player.t("game-language")).to_have_text("French")
        expect(player.t("scoreboard").get_by_test_id("score-row")).to_have_count(2)

    # ---- Round 1: Amelie misses, Bruno reveals a letter, nobody solves it, the answer is shown.
    prompt, hint = amelie.wait_round(1)
    assert bruno.wait_round(1) == (prompt, hint)
    answer = answers_for("french", prompt, hint)[0]
    expect(amelie.t("guess-input")).to_be_focused()
    amelie.guess("0000", keyboard=True)
    bruno.guess(partial_guess(answer))
    for player in (amelie, bruno):
        expect(player.feed("wrong")).to_have_count(1)
        expect(player.feed("partial")).to_have_count(1)
    expect(amelie.feed("wrong")).to_contain_text("You")
    expect(bruno.feed("wrong")).to_contain_text(amelie.name)
    expect(amelie.feed("partial")).to_contain_text(bruno.name)
    expect(amelie.feed("partial")).to_contain_text("1 letter revealed")
    expect(bruno.t("guess-feedback")).to_contain_text("Close!")
    expect(amelie.t("guess-feedback")).to_contain_text("Not quite")
    # The revealed letter shows in both masks.
    for player in (amelie, bruno):
        expect(player.t("hint")).not_to_have_attribute("data-hint", hint)
    expect(amelie.t("score-row").and_(amelie.page.locator(f'[data-name="{bruno.name}"]'))).to_have_attribute("data-score", "10")

    for player in (amelie, bruno):
        player.expect_answer_shown(answer)
        expect(player.t("round-result")).to_contain_text("Time’s up!")

    # ---- Round 2: Bruno knows this one and types it without accents.
    prompt2, hint2 = bruno.wait_round(2)
    amelie.wait_round(2)
    candidates = answers_for("french", prompt2, hint2)
    for candidate in candidates:
        if bruno.guess_verdict(strip_accents(candidate)) == "exact":
            break
    for player in (amelie, bruno):
        expect(player.feed("exact")).to_have_count(1)
    expect(amelie.feed("exact")).to_contain_text(f"{bruno.name} found the word!")
    expect(bruno.feed("exact")).to_contain_text("You found it")

    # ---- Results: standings with XP on both screens; Bruno won.
    for player in (amelie, bruno):
        rows = player.expect_results()
        expect(rows).to_have_count(2)
        expect(rows.first).to_have_attribute("data-name", bruno.name)
        xp = int(rows.first.get_attribute("data-xp") or "0")
        assert xp > 0, "the winner earns XP"
        expect(player.t("play-again")).to_be_visible()
        # The words of the match are listed for review.
        expect(player.t("recap").get_by_test_id("recap-item")).to_have_count(2)
        expect(player.t("recap").get_by_test_id("recap-item").first).to_contain_text(answer)
    expect(bruno.t("results-title")).to_have_text("You won!")
    expect(amelie.t("results-title")).to_have_text(f"{bruno.name} wins!")

    # ---- XP reaches the global leaderboard and the profile.
    for player in (amelie, bruno):
        row = player.t("leaderboard").locator(f'[data-testid="leaderboard-row"][data-name="{bruno.name}"]')
        expect(row).to_be_visible()
        assert int(row.get_attribute("data-xp") or "0") > 0
    expect(bruno.t("profile-games")).to_have_text("1")
    expect(bruno.t("profile-wins")).to_have_text("1")
    expect(bruno.t("profile-xp")).not_to_have_text("0")
    expect(amelie.t("profile-games")).to_have_text("1")
    # Achievements are listed in the profile: both finished a match, only Bruno won it.
    expect(bruno.t("profile-achievements").locator('[data-id="first_win"]')).to_have_text("First win")
    expect(amelie.t("profile-achievements").locator('[data-id="first_match"]')).to_be_visible()
    expect(amelie.t("profile-achievements").locator('[data-id="first_win"]')).to_have_count(0)

    # ---- "Play again" queues for another French match.
    amelie.t("play-again").click()
    expect(amelie.t("screen-queue")).to_be_visible()
    amelie.t("cancel-match").click()
    expect(amelie.t("screen-lobby")).to_be_visible()
