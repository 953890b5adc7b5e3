"""What the bot answers to what it did not understand, and the "/" menu it publishes (issue 18)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest
from telegram import BotCommand, BotCommandScopeDefault
from telegram.error import NetworkError
from telegram.ext import CommandHandler

from bot import texts
from bot.app import bot_commands, publish_commands
from bot.handlers import budgets, categories, ledgers, preferences, receipts, start, summary, tokens
from bot.locales import ms
from bot.suggestions import closest_command, closest_question, not_understood, unknown_command
from tests.helpers import logged


def registered_commands() -> set[str]:
    return {
        name
        for module in (start, receipts, preferences, summary, budgets, categories, tokens, ledgers)
        for handler in module.HANDLERS
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }


def test_the_menu_lists_every_command_there_is_within_telegrams_limits() -> None:
    assert set(texts.COMMANDS) == registered_commands()
    for command in bot_commands():
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command.command)
        assert 1 <= len(command.description) <= 256


@pytest.mark.parametrize(
    ("typed", "closest"),
    [("sumary", "summary"), ("Summary", "summary"), ("exprot", "export"), ("budgets", "budget"),
     ("categroies", "categories"), ("setting", "settings"), ("xyzzy", None)],
)  # fmt: skip
def test_an_unknown_command_gets_the_closest_known_one(typed: str, closest: str | None) -> None:
    assert closest_command(typed) == closest


def test_the_answer_to_an_unknown_command() -> None:
    answer = unknown_command("/sumary@receiptsnap_bot march 2018")
    assert answer.startswith("I don't know /sumary. Did you mean /summary?")
    assert all(f"/{name}" in answer for name in texts.COMMANDS)
    assert "Did you mean" not in unknown_command("/xyzzy")


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("what was my most costly receipt?", "What was my biggest purchase in Q1?"),
        ("number of receipts in march", "How many receipts this month?"),
        ("show me my coffee expenses", "How much did I spend on coffee in October?"),
        ("what did I buy at ikea last year", "How much did I spend last year?"),
    ],
)
def test_a_question_not_read_gets_the_closest_one_that_is(text: str, example: str) -> None:
    assert closest_question(text) == example
    assert f"“{example}”" in not_understood(text)


@pytest.mark.parametrize(
    ("text", "greeting"),
    [("hello", "Hi! "), ("thanks!", "You're welcome! "), ("how are you?", ""), ("lol", "")],
)
def test_small_talk_gets_what_the_bot_does_with_text(text: str, greeting: str) -> None:
    answer = not_understood(text)
    assert answer.startswith(f"{greeting}I read receipts")
    assert texts.EXAMPLE_QUESTIONS[0] in answer and "/summary" in answer


class RecordingBot:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[list[BotCommand], Any, str | None]] = []

    async def set_my_commands(
        self, commands: list[BotCommand], *, scope: Any, language_code: str | None = None
    ) -> bool:
        self.calls.append((commands, scope, language_code))
        if self.error is not None:
            raise self.error
        return True


def test_the_commands_are_published_for_the_default_language_and_in_malay() -> None:
    bot = RecordingBot()
    assert asyncio.run(publish_commands(bot))  # type: ignore[arg-type]
    (default, malay) = bot.calls
    commands, scope, language = default
    assert [(c.command, c.description) for c in commands] == list(texts.COMMANDS.items())
    assert isinstance(scope, BotCommandScopeDefault) and language is None
    commands, scope, language = malay
    assert [(c.command, c.description) for c in commands] == list(ms.COMMANDS.items())
    assert isinstance(scope, BotCommandScopeDefault) and language == "ms"


def test_a_menu_telegram_refuses_is_logged_and_start_up_goes_on() -> None:
    bot = RecordingBot(NetworkError("Bad Gateway"))
    with logged("bot.app", logging.WARNING) as lines:
        assert not asyncio.run(publish_commands(bot))  # type: ignore[arg-type]
    assert any("bot.commands_not_set" in line and "Bad Gateway" in line for line in lines)
