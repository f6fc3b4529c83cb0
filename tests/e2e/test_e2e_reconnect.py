"""A lost connection is shown in a banner, and the page reconnects by itself once the server is back."""

from __future__ import annotations

from playwright.sync_api import expect


def test_connection_loss_shows_a_banner_and_reconnects(open_player, own_server) -> None:
    player = open_player("player", base=own_server.base_url)
    expect(player.t("connection-banner")).to_be_hidden()
    player.find_match("french")
    expect(player.t("screen-queue")).to_be_visible()

    own_server.stop()
    expect(player.t("connection-banner")).to_be_visible()
    expect(player.t("connection-banner-text")).to_contain_text("Connection lost")
    expect(player.t("connection-status")).not_to_have_attribute("data-state", "open")

    own_server.start()
    expect(player.t("connection-status")).to_have_attribute("data-state", "open", timeout=30_000)
    expect(player.t("connection-banner")).to_be_hidden()
    # Back in the queue it was waiting in before the server went away.
    expect(player.t("screen-queue")).to_be_visible()
    expect(player.t("queue-status")).to_contain_text("French")
    player.t("cancel-match").click()
    expect(player.t("screen-lobby")).to_be_visible()
