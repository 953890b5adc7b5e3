from __future__ import annotations

import uuid

import pytest

from bot.callbacks import BadCallbackData, derive_key, pack, unpack

KEY = derive_key("1000:test-token")


def test_round_trip_within_telegram_limit() -> None:
    rid = uuid.uuid4()
    data = pack("delyes", rid, key=KEY)
    assert len(data.encode()) <= 64
    assert unpack(data, key=KEY) == ("delyes", rid)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.replace("ok:", "del:", 1),  # another action, same signature
        lambda d: d[:5] + ("0" if d[5] != "0" else "1") + d[6:],  # another receipt
        lambda d: d.rsplit(":", 1)[0] + ":AAAAAAAAAAAA",  # forged signature
        lambda d: "ok:nothex:xyz",
        lambda d: "",
    ],
)
def test_rejects_tampered_data(mutate: object) -> None:
    data = pack("ok", uuid.uuid4(), key=KEY)
    with pytest.raises(BadCallbackData):
        unpack(mutate(data), key=KEY)  # type: ignore[operator]


def test_other_bot_token_gives_other_signatures() -> None:
    rid = uuid.uuid4()
    with pytest.raises(BadCallbackData):
        unpack(pack("ok", rid, key=derive_key("2000:other")), key=KEY)
