"""Bad input and attacks on the running stack (issue 14), through real HTTP on loopback: the
webhook and the processor's callback fuzzed for a bounded time (never a 5xx, and the bot still
answers afterwards), a forged webhook secret, a processor callback replayed after its max age,
another user's buttons pressed by a stranger, forged admin tokens, and no secret in any log
line of a whole flow. Chats and users 83xx."""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
import string
import time
import types
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from api.routes.telegram import MAX_UPDATE_BYTES
from bot import keyboards, texts
from bot.callbacks import derive_key, pack
from core.admin.tokens import Role, mint
from core.categories.service import list_categories
from core.contracts import ReceiptStatus
from core.db.models import PendingEdit, ProcessingAttempt, Receipt, TelegramUpdate, User
from core.observability.logs import configure_logging
from core.receipts import signing
from core.receipts.signing import sign
from core.settings import LoggingSettings
from devstack.stack import CALLBACK_PATH, LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, final_card, post_update, press, send_photo
from tests.fakes import stored_receipt
from tests.helpers import logged

pytestmark = pytest.mark.e2e

FUZZ_CHATS = range(8310, 8320)  # the fuzzed updates' private chats
PROCESSOR_CHAT = 8320  # owner of the receipts the fuzzed processor results are for
FORGED_CHAT, CONTROL_CHAT = 8303, 8304
REPLAY_CHAT = 8305
OWNER, STRANGER = 8306, 8307
LOGS_CHAT = 8330

_FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
ERROR_FORMAT = {"error", "detail"}


def fuzz(examples: int) -> settings:
    """Bounded: ``examples`` inputs, no deadline (a request may wait on the database), no
    example database (nothing written into the checkout)."""
    return settings(_FUZZ, max_examples=examples)


@pytest.fixture(scope="module")
def all_logs() -> Iterator[io.StringIO]:
    """For the whole module: the project's logging setup writing to a buffer, every logger at
    DEBUG, the root and the libraries it keeps quiet (httpx logs URLs with the bot token at
    INFO), as an operator chasing a problem might turn them all up."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    propagate = {name: logging.getLogger(name).propagate for name in LIBRARIES}
    out = io.StringIO()
    configure_logging(LoggingSettings(log_json=True, log_level="DEBUG"), stream=out, verbose=True)
    loud()
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
        logging.getLogger(name).propagate = propagate[name]


LIBRARIES: tuple[str, ...] = ("httpx", "httpcore", "telegram", "telegram.ext", "asyncio")
LIBRARIES += ("uvicorn", "uvicorn.error", "uvicorn.access")


def loud() -> None:
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
        # uvicorn's loggers have their own handlers, bound to the streams of when it started:
        # their lines go through the project's handler too.
        logging.getLogger(name).propagate = True


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    """A bot token of the real form, unique: it must be found nowhere in the logs."""
    token = f"{8_300_000_000 + secrets.randbelow(10**6)}:{secrets.token_urlsafe(30)}"
    with FakeTelegram(token=token, first_update_id=secrets.randbelow(2**40) + 1) as server:
        yield server


@pytest.fixture(scope="module")
def stack(fake: FakeTelegram, database_url: str, all_logs: io.StringIO) -> Iterator[LocalStack]:
    options = fake_telegram_options(
        fake.token, fake.url, database_url=database_url, queue_visibility_timeout=5
    )
    with LocalStack(options) as s:
        loud()  # uvicorn set its own loggers' levels as it started
        yield s


def assert_error_format(response: httpx.Response, *codes: str) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == ERROR_FORMAT, body
    assert body["error"] in codes, body


def webhook(stack: LocalStack, body: bytes, *, headers: dict[str, Any] | None = None) -> Any:
    return httpx.post(
        f"{stack.api_url}/telegram/webhook",
        content=body,
        headers=headers
        if headers is not None
        else {
            "X-Telegram-Bot-Api-Secret-Token": stack.webhook_secret,
            "Content-Type": "application/json",
        },
        timeout=30,
    )


def wait_until(condition: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.05)


def unhandled(stack: LocalStack, update_ids: list[int]) -> int:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(TelegramUpdate)
                .where(
                    TelegramUpdate.update_id.in_(update_ids), TelegramUpdate.handled_at.is_(None)
                )
            )
            or 0
        )


def stored_update(stack: LocalStack, update_id: int) -> TelegramUpdate | None:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        return s.get(TelegramUpdate, update_id)


def help_is_answered(stack: LocalStack, fake: FakeTelegram, chat: int) -> None:
    """A normal /help still gets its reply: the stack kept serving."""
    before = len(fake.calls_for("sendMessage", chat))
    assert post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text="/help")).is_success
    fake.wait_for(
        lambda f: any(
            "/recent" in str(c.params.get("text"))
            for c in f.calls_for("sendMessage", chat)[before:]
        ),
        timeout=20,
    )


# ---------------------------------------------------------------- strategies

# Any code point, lone surrogates included (JSON can carry them as \uXXXX escapes).
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    ANY_TEXT,
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(ANY_TEXT, inner, max_size=3)
    ),
    max_leaves=8,
)
# Ids of chats and users: ours, or what no database column holds; never another module's.
ID_JUNK = st.one_of(
    st.text(alphabet=string.ascii_letters, max_size=5),
    st.integers(min_value=2**63, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-(2**63)),
    st.just(1e30),
    st.none(),
    st.lists(st.sampled_from(FUZZ_CHATS), max_size=2),
)
CHAT_ID = st.one_of(st.sampled_from(FUZZ_CHATS), st.sampled_from(FUZZ_CHATS), ID_JUNK)
INT_JUNK = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), JUNK)
COMMANDS = ["/help", "/start", "/recent", "/summary", "/summary 13-2026", "/export", "/budget"]
COMMANDS += ["/categories add x", "/settings", "/cancel", "/receipt zz", "/delete 1", "hi"]


def or_junk(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(right, right, right, JUNK)


def _update(*, junk: bool) -> st.SearchStrategy[dict[str, Any]]:
    """An update shaped as Telegram's: every value of the right type, at the edges of its
    range (unknown files, huge sizes, odd commands), or (``junk``) any value of any type."""

    def value(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return or_junk(right) if junk else right

    chat_id = CHAT_ID if junk else st.sampled_from(FUZZ_CHATS)
    number = st.integers(min_value=-(2**70), max_value=2**70) if junk else st.integers(0, 2**31)
    user = value(
        st.fixed_dictionaries(
            {"id": chat_id, "is_bot": value(st.booleans()), "first_name": value(ANY_TEXT)},
            optional={
                "username": value(st.text(max_size=32)),
                "language_code": value(st.sampled_from(["en", "ms-MY", ""])),
            },
        )
    )
    chat = value(
        st.fixed_dictionaries(
            {"id": chat_id, "type": value(st.sampled_from(["private", "group", "channel"]))}
        )
    )
    photo_size = st.fixed_dictionaries(
        {
            "file_id": value(st.text(max_size=10)),
            "file_unique_id": value(st.text(max_size=10)),
            "width": value(number),
            "height": value(number),
        },
        optional={"file_size": value(number)},
    )
    document = st.fixed_dictionaries(
        {"file_id": value(st.text(max_size=10)), "file_unique_id": value(st.text(max_size=10))},
        optional={
            "file_name": value(st.text(max_size=30)),
            "mime_type": value(st.sampled_from(["image/jpeg", "application/pdf", "x/y", ""])),
            "file_size": value(number),
        },
    )
    entity = st.fixed_dictionaries(
        {"type": value(st.just("bot_command")), "offset": value(number), "length": value(number)}
    )
    message = value(
        st.fixed_dictionaries(
            {
                "message_id": value(st.integers(min_value=1, max_value=10**6)),
                "date": value(st.integers(min_value=0, max_value=2**31)),
                "chat": chat,
            },
            optional={
                "from": user,
                "text": value(st.one_of(st.sampled_from(COMMANDS), ANY_TEXT)),
                "entities": value(st.lists(entity, max_size=2)),
                "caption": value(ANY_TEXT),
                "photo": value(st.lists(photo_size, max_size=2)),
                "document": value(document),
                "media_group_id": value(st.text(max_size=8)),
            },
        )
    )
    data = st.one_of(
        ANY_TEXT,
        st.builds(
            lambda a, u, s: f"{a}:{u.hex}:{s}",
            st.sampled_from(["ok", "del", "dy", "fx", "cg", "bk"]),
            st.uuids(),
            st.text(min_size=12, max_size=12),
        ),
    )
    callback_query = value(
        st.fixed_dictionaries(
            {"id": value(st.text(max_size=8)), "from": user, "chat_instance": value(st.text())},
            optional={"message": message, "data": value(data)},
        )
    )
    kinds: dict[str, st.SearchStrategy[Any]] = {
        "message": message,
        "edited_message": message,
        "callback_query": callback_query,
    }
    if junk:
        kinds |= {"inline_query": JUNK, "x": JUNK}
    return st.builds(
        lambda update_id, kind: {"update_id": update_id, **kind},
        UPDATE_ID if junk else GOOD_UPDATE_ID,
        st.one_of(*(st.fixed_dictionaries({name: s}) for name, s in kinds.items())),
    )


# Never an id another module's fake may use (theirs start below 2**40 + their count).
GOOD_UPDATE_ID = st.integers(min_value=2**41, max_value=2**62)
UPDATE_ID = st.one_of(
    GOOD_UPDATE_ID,
    GOOD_UPDATE_ID,
    GOOD_UPDATE_ID,
    st.integers(min_value=2**63, max_value=2**80),
    st.integers(max_value=-1),
    st.floats(),
    st.booleans(),
    st.text(max_size=8),
    st.none(),
)


def encode(value: Any) -> bytes:
    # NaN and Infinity come out as Python's json writes them (not JSON, but parsers see them).
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


# ---------------------------------------------------------------- 1 (a): the webhook, fuzzed


def test_fuzzed_webhook_bodies_are_taken_or_refused_and_the_bot_keeps_answering(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    accepted: list[int] = []

    @fuzz(150)
    @given(
        body=st.one_of(
            st.binary(max_size=300),
            JUNK.map(encode),
            _update(junk=True).map(encode),
            _update(junk=False).map(encode),
            _update(junk=False).map(encode),
        )
    )
    @example(body=b"[" * 500_000)
    @example(body=b'{"update_id": 2199023255553, "m": ' + b"[" * 900 + b"]" * 900 + b"}")
    @example(body=b'{"update_id": Infinity}')
    @example(body=b'{"update_id": 2199023255554, "message": NaN}')
    @example(body=b'{"update_id": 2199023255555, "message": 1e400}')
    @example(body=b'{"update_id": 100000000000000000000000000000}')
    @example(body=b'{"update_id": ' + b"9" * 5000 + b"}")
    @example(body=b'{"update_id": -1}')
    @example(body=b'{"update_id": true}')
    @example(body=b'{"update_id": "2199023255556"}')
    @example(body=b'{"update_id": 2199023255557, "message": "junk"}')
    @example(body=b'{"update_id": 2199023255558, "message": {"chat": 5}}')
    @example(body=b'{"update_id": 2199023255559, "callback_query": {"from": 1}}')
    @example(body=b'{"update_id": 2199023255560, "message": {"message_id": 1, "date": 1e20}}')
    @example(
        body=b'{"update_id": 2199023255561, "message": {"message_id": 1, "date": '
        + b"9" * 30
        + b', "chat": {"id": 8310, "type": "private"}}}'
    )
    @example(body=b'{"update_id": 2199023255562, "message": {"text": "\\ud800"}}')
    @example(body=b"\xff\xfe\x00junk")
    @example(body=b" " * (MAX_UPDATE_BYTES + 1))
    def one(body: bytes) -> None:
        response = webhook(stack, body)
        assert response.status_code in (200, 400, 413), (response.status_code, response.text)
        if response.status_code == 200:
            accepted.append(json.loads(body)["update_id"])
        else:
            assert_error_format(response, "invalid_update", "too_large")

    with (
        logged("api.errors", logging.ERROR) as unhandled_errors,
        logged("bot.app", logging.WARNING) as bot_lines,
    ):
        one()
        assert unhandled_errors == []
        # Well-typed updates are two in five of the inputs: the bot had real work (replies).
        assert len(accepted) >= 10, accepted
        assert any(fake.calls_for("sendMessage", chat) for chat in FUZZ_CHATS)

        # Every update taken was handled (errors included) and marked in the inbox, or left
        # there for a replay when its handling met a transient failure (the fake Bot API
        # answering 5xx to what it cannot take, as Telegram may)...
        def left_for_replay() -> list[int]:
            prefix = "inbox.left_for_replay update_id="
            return [int(line.removeprefix(prefix)) for line in bot_lines if line.startswith(prefix)]

        wait_until(
            lambda: unhandled(stack, [u for u in accepted if u not in left_for_replay()]) == 0,
            timeout=30,
            what="fuzzed updates handled",
        )
    # ... and the bot still answers.
    help_is_answered(stack, fake, FUZZ_CHATS[-1])


def test_oversized_bodies_are_413_without_being_read_through(stack: LocalStack) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": stack.webhook_secret}

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to go by
        yield b'{"update_id": 1, "pad": "'
        for _ in range(64):
            yield b"x" * 65_536
        yield b'"}'

    for content in (b"x" * (MAX_UPDATE_BYTES + 1), chunks()):
        response = httpx.post(
            f"{stack.api_url}/telegram/webhook", content=content, headers=headers, timeout=30
        )
        assert response.status_code == 413
        assert_error_format(response, "too_large")
    response = httpx.post(
        f"{stack.api_url}{CALLBACK_PATH}", content=b"x" * (3 * 1024 * 1024), timeout=30
    )
    assert response.status_code == 413
    assert_error_format(response, "too_large")


# ---------------------------------------------------------------- 1 (c): the processor callback


def _processing_result(*, junk: bool) -> st.SearchStrategy[Any]:
    """A result as the processor writes it (``junk``: any value may be of any type)."""

    def value(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return or_junk(right) if junk else right

    def text(limit: int) -> st.SearchStrategy[str]:  # any code point, over the limit at times
        return st.text(alphabet=st.characters(codec=None), max_size=limit + 2)

    money = value(
        st.one_of(
            st.decimals(min_value=-(10**10), max_value=10**10, places=2).map(str),
            st.sampled_from(["1e30", "9999999999.99", "-0.01", "12.345", "NaN", "0"]),
            st.integers(min_value=-(10**20), max_value=10**20),
            st.floats(),
        )
    )
    when = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
    extraction = st.fixed_dictionaries(
        {},
        optional={
            "merchant": value(
                st.fixed_dictionaries(
                    {}, optional={"name": text(200), "address": text(500), "phone": text(50)}
                )
            ),
            "purchase_date": value(st.dates().map(str)),
            "purchase_time": value(st.times(timezones=st.timezones()).map(str)),
            "currency": value(st.sampled_from(["MYR", "EUR", "usd", "XXXX"])),
            "total": money,
            "subtotal": money,
            "tax": money,
            "tip": money,
            "category": value(text(50)),
            "payment_method": value(text(50)),
            "summary": value(text(300)),
            "warnings": value(st.lists(text(100), max_size=3)),
            "confidence": value(
                st.dictionaries(
                    st.sampled_from(["total", "date", "x"]), st.floats(allow_nan=False), max_size=2
                )
            ),
            "line_items": value(
                st.lists(
                    st.fixed_dictionaries(
                        {"description": value(text(300))},
                        optional={"quantity": money, "unit_price": money, "amount": money},
                    ),
                    max_size=3,
                )
            ),
        },
    )
    error = st.fixed_dictionaries(
        {"code": value(st.sampled_from(["unreadable", "internal", "timeout", "nope"]))},
        optional={"message": value(text(500)), "retryable": value(st.booleans())},
    )
    common = {
        "version": value(st.just(1)),
        "attempt": value(st.integers(min_value=-5, max_value=2**70)),
        "engines": value(
            st.fixed_dictionaries(
                {},
                optional={
                    "ocr": value(text(50)),
                    "extractor": value(text(50)),
                    "model": value(text(100)),
                    "fallback": value(text(300)),
                },
            )
        ),
        "timings": value(
            st.fixed_dictionaries(
                {}, optional={k: st.floats() for k in ("fetch", "ocr", "extraction", "total")}
            )
        ),
        "cost": value(
            st.fixed_dictionaries(
                {},
                optional={
                    k: st.integers(min_value=-(2**40), max_value=2**70)
                    for k in ("pages", "input_tokens", "output_tokens")
                },
            )
        ),
        "processed_at": value(when),
    }
    done = st.fixed_dictionaries(
        {"status": st.just("done"), "extraction": value(extraction)}, optional=common
    )
    failed = st.fixed_dictionaries(
        {"status": st.just("failed"), "error": value(error)}, optional=common
    )
    other = st.fixed_dictionaries(
        {"status": value(st.sampled_from(["queued", "done", "failed"]))},
        optional={"extraction": value(extraction), "error": value(error), **common},
    )
    return st.one_of(done, failed, other)


# Which receipt a signed, result-shaped body names.
TARGETS = st.sampled_from(["fresh", "fresh", "unknown", "junk", "absent"])
CASES = st.one_of(
    # Unsigned, or signed with a made-up key, a made-up signature, a stale or odd timestamp.
    st.tuples(st.just("unsigned"), st.one_of(st.binary(max_size=200), JUNK.map(encode))),
    # Validly signed junk.
    st.tuples(st.just("signed"), st.one_of(st.binary(max_size=200), JUNK.map(encode))),
    # Validly signed, shaped like a result (every field of the right type, or not), for a
    # queued receipt of ours (or not).
    st.tuples(TARGETS, _processing_result(junk=False)),
    st.tuples(TARGETS, _processing_result(junk=True)),
)
HEADER_BYTES = [*range(0x20, 0x7F), *range(0x80, 0x100), 0x09]
# What a client can put in a header: printable, no space at either end.
HEADER_TEXT = st.text(alphabet=string.printable.strip() + " ", max_size=30).map(str.strip)
FORGED_HEADERS = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {signing.TIMESTAMP_HEADER: HEADER_TEXT, signing.SIGNATURE_HEADER: HEADER_TEXT}
    ),
    st.builds(
        lambda ts, key: sign(key, b"{}", timestamp=ts),
        st.integers(min_value=0, max_value=10**11),
        st.binary(min_size=1, max_size=40),
    ),
    st.builds(
        lambda digits: {signing.TIMESTAMP_HEADER: digits, signing.SIGNATURE_HEADER: "v1=0"},
        st.text(alphabet=string.digits, min_size=13, max_size=500),
    ),
)


def queued_receipt(stack: LocalStack, chat: int) -> uuid.UUID:
    """A receipt of ``chat``'s user waiting in the queue, as after an upload."""
    assert stack.container is not None
    with stack.container.session_factory.begin() as s:
        user = s.scalar(select(User).where(User.telegram_user_id == chat))
        if user is None:
            user = User(telegram_user_id=chat, telegram_chat_id=chat)
            s.add(user)
            s.flush()
        receipt = stored_receipt(
            user_id=user.id, status=ReceiptStatus.QUEUED.value, telegram_chat_id=chat
        )
        s.add(receipt)
        s.flush()
        return receipt.id


def test_fuzzed_processor_callbacks_are_401_or_400_never_5xx(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    assert stack.container is not None
    key = stack.container.callback_key()
    url = f"{stack.api_url}{CALLBACK_PATH}"
    seen: set[int] = set()

    @fuzz(150)
    @given(case=CASES, forged=FORGED_HEADERS)
    @example(
        case=("unsigned", b"{}"),
        forged={signing.TIMESTAMP_HEADER: "9" * 400, signing.SIGNATURE_HEADER: "v1=00"},
    )
    @example(
        case=("fresh", {"status": "done", "extraction": {}, "timings": {"ocr": "NaN"}}), forged={}
    )
    @example(
        case=("fresh", {"status": "done", "extraction": {}, "engines": {"ocr": "o" * 80}}),
        forged={},
    )
    @example(
        case=("fresh", {"status": "done", "extraction": {}, "cost": {"pages": 2**40}}), forged={}
    )
    @example(
        case=(
            "fresh",
            {"status": "done", "extraction": {}, "processed_at": "9999-12-31T23:59:59-05:00"},
        ),
        forged={},
    )
    @example(case=("fresh", {"status": "done", "extraction": {"warnings": ["\ud800"]}}), forged={})
    def one(case: tuple[str, Any], forged: dict[str, str]) -> None:
        kind, payload = case
        if kind == "unsigned":
            body = payload
            headers = forged
        else:
            if isinstance(payload, dict) and kind != "absent":
                receipt_id = (
                    str(queued_receipt(stack, PROCESSOR_CHAT))
                    if kind == "fresh"
                    else str(uuid.uuid4())
                    if kind == "unknown"
                    else "not-a-uuid"
                )
                payload = {**payload, "receipt_id": receipt_id}
            body = payload if isinstance(payload, bytes) else encode(payload)
            headers = sign(key, body)
        response = httpx.post(url, content=body, headers=headers, timeout=30)
        seen.add(response.status_code)
        if kind == "unsigned":
            assert response.status_code == 401, response.text
            assert_error_format(response, "unauthorized")
        else:
            assert response.status_code in (200, 400), (response.status_code, response.text)
            if response.status_code == 400:
                assert_error_format(response, "invalid_result", "invalid_request")

    with logged("api.errors", logging.ERROR) as unhandled_errors:
        one()
    assert unhandled_errors == []
    assert {200, 400, 401} <= seen
    help_is_answered(stack, fake, PROCESSOR_CHAT)


# ---------------------------------------------------------------- 2: forged and replayed


@pytest.mark.parametrize(
    "secret",
    [
        None,  # no header at all
        "",
        "wrong",
        "near-miss",  # the right secret but its last character
        "longer",  # the right secret and one more character
        "latin-1",  # bytes no ASCII string compares with
        "huge",
    ],
    ids=["missing", "empty", "wrong", "near-miss", "longer", "latin-1", "huge"],
)
def test_a_webhook_with_a_wrong_or_missing_secret_is_403_and_nothing_is_stored(
    stack: LocalStack, fake: FakeTelegram, secret: str | None
) -> None:
    right = stack.webhook_secret
    value: str | bytes | None = {
        None: None,
        "": "",
        "wrong": "wrong",
        "near-miss": right[:-1],
        "longer": right + "x",
        "latin-1": b"\xff\xe9" + right.encode()[2:],
        "huge": right * 200,
    }[secret]
    update = fake.text_update(chat_id=FORGED_CHAT, user_id=FORGED_CHAT, text="/start")
    headers: dict[str, Any] = {"Content-Type": "application/json"}
    if value is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = value
    response = webhook(stack, json.dumps(update).encode(), headers=headers)

    assert response.status_code == 403
    assert_error_format(response, "forbidden")
    assert stored_update(stack, update["update_id"]) is None
    # The bot answers a real update after it, and never the forged one.
    help_is_answered(stack, fake, CONTROL_CHAT)
    assert fake.calls_for("sendMessage", FORGED_CHAT) == []


def test_a_processor_callback_replayed_after_its_max_age_is_401_and_changes_nothing(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert stack.container is not None
    container = stack.container
    max_age = container.settings.callback_max_age_seconds
    late, first = queued_receipt(stack, REPLAY_CHAT), queued_receipt(stack, REPLAY_CHAT)

    def signed(receipt_id: uuid.UUID) -> tuple[bytes, dict[str, str]]:
        result = {"receipt_id": str(receipt_id), "status": "failed"}
        result["error"] = {"code": "unreadable", "message": "blurred"}  # type: ignore[assignment]
        body = json.dumps(result).encode()
        return body, sign(container.callback_key(), body)

    def post(request: tuple[bytes, dict[str, str]]) -> httpx.Response:
        body, headers = request
        return httpx.post(f"{stack.api_url}{CALLBACK_PATH}", content=body, headers=headers)

    def state(receipt_id: uuid.UUID) -> tuple[str, int]:
        with container.session_factory() as s:
            receipt = s.get(Receipt, receipt_id)
            assert receipt is not None
            attempts = s.scalar(
                select(func.count())
                .select_from(ProcessingAttempt)
                .where(ProcessingAttempt.receipt_id == receipt_id)
            )
            return receipt.status, int(attempts or 0)

    def clock_ahead(seconds: float) -> None:  # the API's clock only (it runs in this process)
        now = time.time
        monkeypatch.setattr(signing, "time", types.SimpleNamespace(time=lambda: now() + seconds))

    # A request captured on the way and presented after its max age: refused, nothing recorded.
    captured = signed(late)
    clock_ahead(max_age + 2)
    response = post(captured)
    assert response.status_code == 401
    assert_error_format(response, "unauthorized")
    assert state(late) == ("queued", 0)

    # A request taken in time, replayed after the max age: refused, nothing recorded again.
    monkeypatch.undo()
    taken = signed(first)
    assert post(taken).json() == {"status": "applied"}
    clock_ahead(max_age + 2)
    assert post(taken).status_code == 401
    assert state(first) == ("failed", 1)
    monkeypatch.undo()
    # Within the window the very same request is only a repeat.
    assert post(taken).json() == {"status": "unchanged"}


def _card(fake: FakeTelegram, chat: int) -> tuple[int, dict[str, Any]]:
    for message_id, text in fake.messages(chat).items():
        if text.startswith("🧾"):
            message = fake.message(chat, message_id)
            assert message is not None
            return message_id, message.get("reply_markup", {})
    raise AssertionError(f"no card in chat {chat}")


def test_a_stranger_pressing_another_users_real_buttons_gets_nothing_of_theirs(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    """tests/e2e/test_bot_receipts.py has a stranger press one card's delete button; here every
    button any keyboard of the card can show, in the stranger's chat and on the owner's card."""
    assert stack.container is not None
    send_photo(stack, fake, SAMPLE, OWNER)
    fake.wait_for(lambda f: final_card(f, OWNER) is not None, timeout=120)
    post_update(stack, fake.text_update(chat_id=STRANGER, user_id=STRANGER, text="/start"))
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", STRANGER)) == 1, timeout=10)
    stranger_message = next(iter(fake.messages(STRANGER)))

    card_id, markup = _card(fake, OWNER)
    on_card = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    with stack.container.session_factory() as s:
        (receipt,) = s.scalars(select(Receipt).where(Receipt.telegram_chat_id == OWNER))
        owner_categories = list_categories(s, user_id=receipt.user_id)
    # The card's buttons are what pack writes with the bot's key: so are those of the pickers
    # (fields, categories, delete confirmation) the owner could open from it.
    key = derive_key(fake.token)
    actions = [keyboards.CONFIRM, keyboards.DELETE, keyboards.DELETE_YES, keyboards.DELETE_NO]
    actions += [keyboards.RETRY, keyboards.FIX, keyboards.CATEGORY, keyboards.KEEP_BOTH]
    actions += [keyboards.BACK, *keyboards.EDIT_ACTIONS]
    actions += [keyboards.category_action(name) for name in owner_categories]
    every = [pack(action, receipt.id, key=key) for action in actions]
    assert set(on_card) <= set(every) and len(on_card) >= 3

    def snapshot() -> tuple[Any, ...]:
        with stack.container.session_factory() as s:  # type: ignore[union-attr]
            row = s.get(Receipt, receipt.id)
            assert row is not None
            stranger = s.scalar(select(User).where(User.telegram_user_id == STRANGER))
            assert stranger is not None
            edits = s.scalar(
                select(func.count())
                .select_from(PendingEdit)
                .where(PendingEdit.user_id == stranger.id)
            )
            state = (row.status, row.confirmed_at, row.category, row.total, row.merchant_name)
        return state, edits, fake.message(OWNER, card_id), fake.messages(OWNER)

    before = snapshot()
    answered = len(fake.calls_for("answerCallbackQuery"))
    sent_to_stranger = len([c for c in fake.calls if c.params.get("chat_id") == STRANGER])
    for data in every:
        press(stack, fake, chat=STRANGER, user=STRANGER, message_id=stranger_message, data=data)
        press(stack, fake, chat=OWNER, user=STRANGER, message_id=card_id, data=data)
    fake.wait_for(
        lambda f: len(f.calls_for("answerCallbackQuery")) >= answered + 2 * len(every), timeout=30
    )
    time.sleep(0.3)  # anything a handler would still send after its answer

    answers = [str(c.params.get("text")) for c in fake.calls_for("answerCallbackQuery")[answered:]]
    assert set(answers) <= {texts.RECEIPT_GONE, texts.BUTTON_EXPIRED}, answers
    assert snapshot() == before, "the owner's receipt, card and chat are as they were"
    to_stranger = [c for c in fake.calls if c.params.get("chat_id") == STRANGER]
    assert len(to_stranger) == sent_to_stranger, "nothing was sent or edited in the stranger's chat"
    assert receipt.merchant_name and receipt.total is not None
    for text in answers:
        assert receipt.merchant_name not in text and str(receipt.total) not in text


def _claims(key_expiry: timedelta = timedelta(minutes=5)) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "sub": "mallory",
        "role": "admin",
        "iss": "receiptsnap",
        "aud": "receiptsnap-admin",
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + key_expiry).timestamp()),
        "jti": uuid.uuid4().hex,
    }


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    def part(data: Any) -> str:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}.{part(signature) if signature else ''}"


def test_forged_admin_tokens_are_401(stack: LocalStack) -> None:
    """Wrong key and expiry: tests/integration/admin/test_auth.py. Here what an attacker makes
    without the key (alg none, stripped signatures) or with the right key but another
    algorithm, and fuzzed Authorization headers, against the running API."""
    assert stack.container is not None
    key = stack.container.jwt_keys().current
    settings_ = stack.container.settings
    good = mint(
        key,
        subject="ops",
        role=Role.VIEWER,
        ttl=timedelta(minutes=5),
        issuer=settings_.jwt_issuer,
        audience=settings_.jwt_audience,
        max_ttl=timedelta(seconds=settings_.jwt_max_ttl_seconds),
    )
    url = f"{stack.api_url}/admin/v1/me"
    assert httpx.get(url, headers={"Authorization": f"Bearer {good}"}).status_code == 200
    head, claims, _sig = good.split(".")
    forged = [
        *(_unsigned({"alg": alg, "typ": "JWT"}, _claims()) for alg in ("none", "None", "NONE")),
        _unsigned({"alg": "HS256", "typ": "JWT"}, _claims()),  # signature stripped
        f"{head}.{claims}.",  # a real token without its signature
        f"{head}.{claims}.{base64.urlsafe_b64encode(b'x' * 32).rstrip(b'=').decode()}",
        jwt.encode(_claims(), key, algorithm="HS512"),  # the right key, another algorithm
        jwt.encode(_claims(), key, algorithm="HS384"),
        _unsigned({"alg": "HS256", "typ": "JWT", "kid": "../../x"}, _claims(), b"\0" * 32),
    ]
    for token in forged:
        response = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert_error_format(response, "invalid_token", "missing_token")
        assert response.headers["WWW-Authenticate"] == "Bearer"

    @fuzz(60)
    @given(
        value=st.one_of(
            st.text(alphabet=string.printable.strip() + " ", max_size=60).map(
                lambda t: ("Bearer " + t).strip()
            ),
            # Any byte HTTP allows in a header (Latin-1 too), no space at either end.
            st.lists(st.sampled_from(HEADER_BYTES), max_size=60).map(
                lambda b: (b"Bearer " + bytes(b)).strip()
            ),
            st.lists(st.binary(max_size=30), min_size=3, max_size=3).map(
                lambda p: "Bearer " + ".".join(base64.urlsafe_b64encode(x).decode() for x in p)
            ),
        )
    )
    def one(value: str | bytes) -> None:
        header = value.encode() if isinstance(value, str) else value
        response = httpx.get(url, headers={b"Authorization": header})
        assert response.status_code == 401, (value, response.text)
        assert_error_format(response, "invalid_token", "missing_token")

    one()


# ---------------------------------------------------------------- 3: secrets never in logs


def test_no_secret_is_ever_logged_in_a_whole_flow(
    stack: LocalStack,
    fake: FakeTelegram,
    all_logs: io.StringIO,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Last in the module: ``all_logs`` holds every line logged since the stack started (the
    fuzzing above included), at DEBUG; this test's own flow adds the rest, its stdout and
    stderr (uvicorn's access log among them) captured too."""
    assert stack.container is not None
    container = stack.container
    keys = container.jwt_keys()
    callback_key = container.callback_key()
    s = container.settings

    send_photo(stack, fake, SAMPLE, LOGS_CHAT)
    fake.wait_for(lambda f: final_card(f, LOGS_CHAT) is not None, timeout=120)
    card_id, markup = _card(fake, LOGS_CHAT)
    confirm = pack(keyboards.CONFIRM, _receipt_of(stack, LOGS_CHAT), key=derive_key(fake.token))
    assert confirm in str(markup)
    press(stack, fake, chat=LOGS_CHAT, message_id=card_id, data=confirm)
    fake.wait_for(lambda f: "confirmed" in f.messages(LOGS_CHAT)[card_id], timeout=10)
    help_is_answered(stack, fake, LOGS_CHAT)
    assert post_update(stack, {"update_id": 1}, secret="wrong").status_code == 403

    admin_token = mint(
        keys.current,
        subject="ops",
        role=Role.ADMIN,
        ttl=timedelta(minutes=5),
        issuer=s.jwt_issuer,
        audience=s.jwt_audience,
        max_ttl=timedelta(seconds=s.jwt_max_ttl_seconds),
    )
    auth = {"Authorization": f"Bearer {admin_token}"}
    for path in ("/admin/v1/me", "/admin/v1/stats", f"/admin/v1/receipts/{uuid.uuid4()}"):
        assert httpx.get(f"{stack.api_url}{path}", headers=auth).status_code in (200, 404)
    bad = {"Authorization": f"Bearer {admin_token[:-4]}AAAA"}
    assert httpx.get(f"{stack.api_url}/admin/v1/me", headers=bad).status_code == 401

    body = json.dumps(
        {
            "receipt_id": str(uuid.uuid4()),
            "status": "failed",
            "error": {"code": "internal", "message": "x"},
        }
    ).encode()
    callback = f"{stack.api_url}{CALLBACK_PATH}"
    assert httpx.post(callback, content=body, headers=sign(callback_key, body)).is_success
    stale = sign(callback_key, body, timestamp=int(time.time()) - 3600)
    assert httpx.post(callback, content=body, headers=stale).status_code == 401
    time.sleep(0.3)  # the last lines of the bot's handlers

    logs = all_logs.getvalue()
    captured = capfd.readouterr()
    everything = logs + captured.out + captured.err
    # What was captured is what leaks when nothing is done: httpx's request lines, the bot
    # library's debug lines with its base URL, uvicorn's access log.
    assert "HTTP Request: POST" in logs and "Set Bot API URL" in logs
    assert "POST /telegram/webhook HTTP/1.1" in logs  # uvicorn's access log
    bot_id, bot_secret = fake.token.split(":", 1)
    secrets_ = {
        "bot token": bot_secret,
        "webhook secret": stack.webhook_secret,
        "processor callback key": callback_key.decode(),
        "callback data key": derive_key(fake.token).hex(),
        "callback data key (base64)": base64.urlsafe_b64encode(derive_key(fake.token)).decode(),
        "JWT signing key": keys.current,
        "admin token": admin_token,
        "admin token's signature": admin_token.rsplit(".", 1)[1],
    }
    leaked = [name for name, value in secrets_.items() if value in everything]
    assert leaked == [], f"in the logs or output: {leaked}"
    assert f"/bot{bot_id}" not in logs and "/bot<redacted>/sendMessage" in logs


def _receipt_of(stack: LocalStack, chat: int) -> uuid.UUID:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        (receipt,) = s.scalars(select(Receipt.id).where(Receipt.telegram_chat_id == chat))
        return receipt
