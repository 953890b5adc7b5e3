"""Bounded fuzzing of the parsers that read what a stranger can send: the webhook's update body,
the buttons' callback data and the processor callback's signature headers. Each raises only its
own documented error, whatever it is given (hypothesis; examples bounded, no example database)."""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.routes.telegram import MAX_UPDATE_BYTES, MAX_UPDATE_ID, parse_update
from bot import keyboards
from bot.callbacks import BadCallbackData, derive_key, pack, unpack
from core.errors import ReceiptSnapError
from core.receipts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, sign, verify

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KEY = derive_key("8300:fuzz-token")

# Any code point, lone surrogates included (what a JSON "\ud800" escape decodes to).
ANY_CHAR = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=80)
ACTIONS = sorted(
    {
        keyboards.CONFIRM,
        keyboards.DELETE,
        keyboards.DELETE_YES,
        keyboards.DELETE_NO,
        keyboards.RETRY,
        keyboards.FIX,
        keyboards.CATEGORY,
        keyboards.KEEP_BOTH,
        keyboards.BACK,
        *keyboards.EDIT_ACTIONS,
        keyboards.category_action("groceries"),
    }
)


# ---------------------------------------------------------------- callback data (bot/callbacks)


def near_valid_callback_data() -> st.SearchStrategy[str]:
    """Three parts as the bot writes them, each one either right-looking or junk."""
    hexid = st.one_of(
        st.uuids().map(lambda u: u.hex),
        st.uuids().map(str),  # with hyphens
        st.uuids().map(lambda u: u.hex.upper()),
        st.text(alphabet="0123456789abcdef１２", min_size=30, max_size=34),
        ANY_TEXT,
    )
    sig = st.one_of(
        st.text(alphabet="ABCDEFabcdef0123456789-_=", min_size=12, max_size=12),
        st.text(alphabet=ANY_CHAR, min_size=12, max_size=12),  # non-ASCII: not comparable as str
        ANY_TEXT,
    )
    action = st.one_of(st.sampled_from(ACTIONS), ANY_TEXT)
    return st.builds(lambda a, h, s: f"{a}:{h}:{s}", action, hexid, sig)


@FUZZ
@given(data=st.one_of(ANY_TEXT, st.text(max_size=64), near_valid_callback_data()))
@example(data="ok:" + uuid.UUID(int=1).hex + ":" + "é" * 12)
@example(data="\ud800:" + uuid.UUID(int=1).hex + ":AAAAAAAAAAAA")
@example(data="ok:" + "１" * 32 + ":AAAAAAAAAAAA")
@example(data="")
@example(data=":::")
def test_callback_data_parser_raises_only_its_own_error(data: str) -> None:
    try:
        action, receipt_id = unpack(data, key=KEY)
    except BadCallbackData:
        return
    # Whatever passes was signed with the key: it packs back to the very same data.
    assert pack(action, receipt_id, key=KEY) == data


@FUZZ
@given(
    action=st.sampled_from(ACTIONS),
    receipt_id=st.uuids(),
    position=st.integers(min_value=0, max_value=63),
    replacement=st.characters(codec="utf-8"),
)
def test_any_change_to_signed_callback_data_is_refused(
    action: str, receipt_id: uuid.UUID, position: int, replacement: str
) -> None:
    data = pack(action, receipt_id, key=KEY)
    assert unpack(data, key=KEY) == (action, receipt_id)
    position %= len(data)
    changed = data[:position] + replacement + data[position + 1 :]
    if changed == data:
        return
    with pytest.raises(BadCallbackData):
        unpack(changed, key=KEY)


# ---------------------------------------------------------------- the webhook's update body


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        ANY_TEXT,
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(ANY_TEXT, inner, max_size=4)
        ),
        max_leaves=25,
    )


def _dumps(value: Any) -> bytes:
    # Lone surrogates are written as \\uXXXX escapes, as any JSON library may send them.
    return json.dumps(value, ensure_ascii=True).encode()


UPDATE_IDS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
    st.text(max_size=12),
    st.none(),
)


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=512),
        _json_values().map(_dumps),
        st.builds(
            lambda uid, rest: _dumps({"update_id": uid, **rest}),
            UPDATE_IDS,
            st.dictionaries(st.sampled_from(["message", "callback_query", "x"]), _json_values()),
        ),
    )
)
@example(body=b"[" * 200_000)
@example(body=b'{"update_id": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
@example(body=b'{"update_id": Infinity}')
@example(body=b'{"update_id": 1, "message": NaN}')
@example(body=b'{"update_id": 1, "message": 1e400}')
@example(body=b'{"update_id": 1e3}')
@example(body=b'{"update_id": ' + b"9" * 5000 + b"}")
@example(body=b'{"update_id": 100000000000000000000000000000}')
@example(body=b'{"update_id": true}')
@example(body=b'{"update_id": "12"}')
@example(body=b'{"update_id": 1, "message": {"text": "\\ud800"}}')
@example(body=b'{"update_id": 1, "message": {"text": "a\\u0000b"}}')
@example(body=b"\xef\xbb\xbf{}")
@example(body=b" " * (MAX_UPDATE_BYTES + 1))
def test_update_body_parser_gives_an_update_or_its_own_error(body: bytes) -> None:
    refused: tuple[int, str] | None = None
    try:
        data = parse_update(body)
    except ReceiptSnapError as exc:
        refused = (exc.status_code, exc.code)
    if refused is not None:
        assert refused in {(400, "invalid_update"), (413, "too_large")}
        return
    assert isinstance(data, dict)
    update_id = data["update_id"]
    assert type(update_id) is int and 0 <= update_id <= MAX_UPDATE_ID
    # What is taken can be stored as it is: strict JSON, valid Unicode, no NUL.
    json.dumps(data, allow_nan=False, ensure_ascii=False).encode("utf-8")
    assert not any("\x00" in text for text in _strings(data))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_a_plain_update_is_taken_as_it_is() -> None:
    update = {"update_id": 5, "message": {"message_id": 1, "text": "/help", "n": 1.5}}
    assert parse_update(json.dumps(update).encode()) == update


# ---------------------------------------------------------------- processor callback signatures


@FUZZ
@given(
    body=st.binary(max_size=256),
    timestamp=st.one_of(
        st.none(),
        ANY_TEXT,
        st.integers(min_value=-(10**400), max_value=10**400).map(str),
        st.floats(allow_nan=True).map(str),
    ),
    signature=st.one_of(st.none(), ANY_TEXT, st.text(alphabet="v1=0123456789abcdef", max_size=70)),
)
@example(body=b"{}", timestamp="9" * 400, signature="v1=00")
@example(body=b"{}", timestamp="-" + "9" * 400, signature="v1=00")
@example(body=b"{}", timestamp="9" * 5000, signature="v1=00")
@example(body=b"{}", timestamp="1", signature="\ud800")
def test_signature_check_raises_only_its_own_error(
    body: bytes, timestamp: str | None, signature: str | None
) -> None:
    with pytest.raises(SignatureError):
        verify(KEY, body, timestamp=timestamp, signature=signature)


@FUZZ
@given(body=st.binary(max_size=256), age=st.integers(min_value=-(10**10), max_value=10**10))
def test_a_true_signature_verifies_exactly_within_the_window(body: bytes, age: int) -> None:
    now = time.time()
    signed_at = max(0, int(now) - age)
    headers = sign(KEY, body, timestamp=signed_at)
    check: dict[str, Any] = {
        "timestamp": headers[TIMESTAMP_HEADER],
        "signature": headers[SIGNATURE_HEADER],
        "max_age_seconds": 300,
        "now": now,
    }
    if abs(now - signed_at) <= 300:
        verify(KEY, body, **check)
    else:
        with pytest.raises(SignatureError, match="window"):
            verify(KEY, body, **check)
    if body:
        with pytest.raises(SignatureError):
            verify(KEY, body[:-1], **check)


def test_fuzzed_floats_are_finite_in_what_is_taken() -> None:
    assert math.isfinite(parse_update(b'{"update_id": 1, "f": 1e300}')["f"])
