"""A player whose connection drops mid-match comes back to the same seat and misses nothing.

The dropped player is a guest: the guest token of ``welcome`` makes them the same guest again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from support.tcp_proxy import CuttableProxy

from e2e_ui import answers_for, unique


@pytest.fixture
def flaky_network(server) -> Iterator[CuttableProxy]:
    if isinstance(server, str):
        pytest.skip("needs the server's port to put a proxy in front of it")
    proxy = CuttableProxy(server.port)
    yield proxy
    proxy.close()


def test_a_dropped_player_resumes_the_match_and_sees_what_happened_meanwhile(open_player, flaky_network) -> None:
    amelie = open_player("amelie", base=f"http://127.0.0.1:{flaky_network.port}")
    bruno = open_player("bruno")
    amelie.play_as_guest(unique("Amelie"))
    bruno.register(unique("Bruno"))
    amelie.find_match("french")
    bruno.find_match("french")
    prompt, hint = amelie.wait_round(1)
    bruno.wait_round(1)

    assert flaky_network.cut() > 0
    # Bruno sees the seat kept; his miss happens while (or just after) Amelie is away.
    expect(bruno.feed("leave").filter(has_text=f"{amelie.name} lost the connection")).to_have_count(1)
    bruno.guess("0000")
    expect(amelie.t("connection-status")).to_have_attribute("data-state", "open", timeout=30_000)
    expect(bruno.feed("join").filter(has_text=f"{amelie.name} is back")).to_have_count(1)
    expect(amelie.feed("wrong").filter(has_text=f"{bruno.name} missed")).to_have_count(1)
    expect(amelie.page.locator("body")).to_have_attribute("data-view", re.compile(r"^(game|results)$"))

    # Still the same match: the answer Amelie finds in round 2 counts, and both see one result.
    prompt2, hint2 = amelie.wait_round(2)
    for candidate in answers_for("french", prompt2, hint2):
        if amelie.guess_verdict(candidate) == "exact":
            break
    for player in (amelie, bruno):
        rows = player.expect_results()
        expect(rows).to_have_count(2)
        expect(rows.first).to_have_attribute("data-name", amelie.name)
    assert not [line for line in amelie.console if line.startswith("pageerror")]
