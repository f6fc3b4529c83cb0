"""Page helpers for the end-to-end tests: one :class:`Player` per browser context.

Everything is located by ``data-testid`` and waited for with Playwright's ``expect``; nothing sleeps.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

ROUND_WAIT_MS = 20_000   # a round (5 s) plus the start delay / intermission, with room to spare
SHOWN_IN_MASK = set(" -'’.")


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def mask_of(answer: str) -> str:
    return "".join(c if c in SHOWN_IN_MASK else "_" for c in unicodedata.normalize("NFC", answer))


@lru_cache(maxsize=None)
def _banks() -> dict[str, Any]:
    from lingualeap.words.loader import DATA_DIR, load_languages

    directory = Path(os.environ.get("LINGUALEAP_E2E_WORDS_DIR") or DATA_DIR)
    return load_languages(directory)


def answers_for(language: str, english: str, hint: str) -> list[str]:
    """The answers the server may have picked for this prompt, best match first.

    The server never sends the answer before the round ends, but the test knows the word bank the
    server loaded: the English prompt and the shape of the letter mask single out the word.
    """
    pairs = [p for p in _banks()[language].pairs if p.english == english]
    fitting = [p for p in pairs if mask_of(p.answer) == mask_of(hint) or len(p.answer) == len(hint)]
    chosen = fitting or pairs
    assert chosen, f"{english!r} is not in the {language} word bank"
    return [p.answer for p in chosen]


def partial_guess(answer: str) -> str:
    """A guess that reveals exactly one letter (the first one) of ``answer`` and nothing else."""
    index = next(i for i, c in enumerate(answer) if c not in SHOWN_IN_MASK)
    return "#" * index + answer[index]


class Player:
    """A person at a browser: the page plus the steps they take."""

    def __init__(self, label: str, page: Page, base_url: str) -> None:
        self.label = label
        self.page = page
        self.base_url = base_url
        self.name: str | None = None
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    # -- locators ----------------------------------------------------------------------------
    def t(self, test_id: str) -> Locator:
        return self.page.get_by_test_id(test_id)

    def feed(self, kind: str | None = None) -> Locator:
        items = self.t("feed").get_by_test_id("feed-item")
        return items.and_(self.page.locator(f'[data-kind="{kind}"]')) if kind else items

    def errors(self) -> Locator:
        return self.t("toasts").get_by_test_id("error-message")

    # -- navigation & identity -------------------------------------------------------------------
    def goto(self, path: str = "/") -> None:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        self.page.goto(url)
        self.expect_online()

    def expect_online(self) -> None:
        expect(self.t("connection-status")).to_have_attribute("data-state", "open")
        expect(self.t("whoami")).to_be_visible()

    def register(self, name: str | None = None, password: str = "correct horse 1") -> tuple[str, str]:
        name = name or unique("Leaper")
        email = f"{name.lower()}@example.com"
        self.t("tab-register").click()
        self.t("register-name").fill(name)
        self.t("register-email").fill(email)
        self.t("register-password").fill(password)
        self.t("register-submit").click()
        self._expect_logged_in(name)
        return email, password

    def login(self, email: str, password: str, name: str) -> None:
        self.t("tab-login").click()
        self.t("login-email").fill(email)
        self.t("login-password").fill(password)
        self.t("login-submit").click()
        self._expect_logged_in(name)

    def _expect_logged_in(self, name: str) -> None:
        expect(self.t("profile-name")).to_have_text(name)
        # The socket reconnects with the new cookie: the server now knows us as a registered user.
        expect(self.t("whoami")).to_have_attribute("data-guest", "false")
        expect(self.t("whoami-name")).to_have_text(name)
        self.expect_online()
        self.name = name

    def play_as_guest(self, name: str) -> None:
        self.t("guest-name-input").fill(name)
        self.t("guest-name-save").click()
        expect(self.t("whoami")).to_have_attribute("data-guest", "true")
        expect(self.t("whoami-name")).to_have_text(name)
        self.expect_online()
        self.name = name

    def guest_name(self) -> str:
        expect(self.t("whoami")).to_have_attribute("data-guest", "true")
        self.name = self.t("whoami-name").inner_text().strip()
        return self.name

    # -- lobby -----------------------------------------------------------------------------------
    def choose_language(self, language: str) -> None:
        self.page.get_by_label(language.capitalize(), exact=False).check()
        expect(self.t(f"language-option-{language}")).to_be_checked()

    def find_match(self, language: str = "french") -> None:
        self.choose_language(language)
        self.t("find-match").click()
        expect(self.page.locator("body")).to_have_attribute("data-view", re.compile(r"^(queue|game)$"))

    # -- game ------------------------------------------------------------------------------------
    def expect_in_game(self) -> None:
        expect(self.t("screen-game")).to_be_visible(timeout=ROUND_WAIT_MS)

    def wait_round(self, number: int, total: int = 2) -> tuple[str, str]:
        """Wait for round ``number`` to be running; return (English prompt, letter mask)."""
        expect(self.t("round-label")).to_have_text(f"Round {number} of {total}", timeout=ROUND_WAIT_MS)
        expect(self.t("stage")).to_have_attribute("data-phase", "round", timeout=ROUND_WAIT_MS)
        prompt = self.t("prompt").inner_text().strip()
        hint = self.t("hint").get_attribute("data-hint") or ""
        assert prompt and prompt != "Get ready…"
        assert hint and set(hint) <= set("_") | SHOWN_IN_MASK, f"round starts with a hidden word, got {hint!r}"
        return prompt, hint

    def guess(self, text: str, *, keyboard: bool = False) -> None:
        box = self.t("guess-input")
        if keyboard:
            expect(box).to_be_focused()
            self.page.keyboard.type(text)
        else:
            box.fill(text)
        box.press("Enter")
        expect(box).to_have_value("")
        # The box keeps the focus for the next guess (unless this guess just ended the match).
        self.page.wait_for_function(
            "document.body.dataset.view !== 'game' || document.activeElement?.id === 'guess-input'"
        )

    def guess_verdict(self, text: str) -> str:
        """Guess and wait for the server's verdict on it: 'exact', 'partial' or 'wrong'."""
        me = self.t("whoami").get_attribute("data-player-id")
        mine = self.t("feed").locator(f'[data-testid="feed-item"][data-player-id="{me}"]')
        before = mine.count()
        self.guess(text)
        expect(mine).to_have_count(before + 1)
        return mine.first.get_attribute("data-kind") or ""

    def hint(self) -> str:
        return self.t("hint").get_attribute("data-hint") or ""

    def expect_answer_shown(self, answer: str) -> None:
        expect(self.t("round-result")).to_be_visible(timeout=ROUND_WAIT_MS)
        expect(self.t("answer-word")).to_have_text(answer)

    def expect_results(self) -> Locator:
        expect(self.t("screen-results")).to_be_visible(timeout=ROUND_WAIT_MS * 2)
        rows = self.t("standings").get_by_test_id("standing-row")
        expect(rows.first).to_be_visible()
        return rows

    def has_horizontal_overflow(self) -> dict[str, Any]:
        return self.page.evaluate(
            """() => {
                const doc = document.documentElement;
                const width = doc.clientWidth;
                const wide = [];
                for (const el of document.querySelectorAll('body *')) {
                    const box = el.getBoundingClientRect();
                    if (!box.width || getComputedStyle(el).visibility === 'hidden') continue;
                    if (el.closest('.toasts') || el.closest('.confetti')) continue;
                    if (box.right > width + 1 || box.left < -1) {
                        wide.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
                    }
                }
                return {scrollWidth: doc.scrollWidth, clientWidth: width, offenders: wide.slice(0, 10)};
            }"""
        )

    # -- failure artifacts -----------------------------------------------------------------------
    def save_artifacts(self, folder: Path) -> list[Path]:
        saved: list[Path] = []
        page = self.page
        if page.is_closed():
            return saved
        try:
            view = page.evaluate("document.body.dataset.view || 'page'")
        except Exception:  # noqa: BLE001
            view = "page"
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{self.label}-{view}")
        try:
            shot = folder / f"{base}.png"
            page.screenshot(path=str(shot), full_page=True, timeout=5_000)
            saved.append(shot)
        except Exception:  # noqa: BLE001
            pass
        log = folder / f"{self.label}-console.log"
        log.write_text("\n".join(self.console) + "\n", encoding="utf-8")
        saved.append(log)
        return saved
