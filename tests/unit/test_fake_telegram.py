"""The fake Bot API server, exercised through the REAL python-telegram-bot Bot/Application."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeDefault,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    PhotoSize,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from devstack.telegram import FakeTelegram

CHAT = 4242
USER = 4242


def _png(width: int, height: int) -> bytes:
    """A tiny valid PNG so the fake can read real dimensions from the header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server
        assert server.server_errors == []


def make_bot(fake: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(
        token=token or fake.token,
        base_url=f"{fake.url}/bot",
        base_file_url=f"{fake.url}/file/bot",
    )


@pytest.mark.asyncio
async def test_get_me_and_send_message_with_inline_keyboard(fake: FakeTelegram) -> None:
    assert fake.url.startswith("http://127.0.0.1:")
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Confirm", callback_data="confirm:17")],
            [InlineKeyboardButton("Open", url="https://example.com/r/17")],
        ]
    )
    async with make_bot(fake) as bot:
        me = await bot.get_me()
        assert me.is_bot
        assert me.id == 1000
        assert me.username == "receiptsnap_test_bot"
        assert bot.username == "receiptsnap_test_bot"

        sent = await bot.send_message(chat_id=CHAT, text="Receipt saved", reply_markup=keyboard)
        second = await bot.send_message(chat_id=CHAT, text="Another")

    assert sent.message_id == 1
    assert second.message_id == 2
    assert sent.text == "Receipt saved"
    assert sent.chat.id == CHAT
    assert sent.chat.type == "private"
    assert sent.from_user is not None
    assert sent.from_user.is_bot
    assert sent.reply_markup == keyboard

    (call,) = fake.calls_for("sendMessage", chat_id=CHAT)[:1]
    assert call.params["chat_id"] == CHAT
    assert call.params["text"] == "Receipt saved"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Confirm", "callback_data": "confirm:17"}],
            [{"text": "Open", "url": "https://example.com/r/17"}],
        ]
    }
    assert call.files == {}
    assert [c.method for c in fake.calls] == [
        "getMe",
        "getMe",
        "sendMessage",
        "sendMessage",
    ]  # initialize()
    assert fake.calls_for("sendMessage", chat_id=999) == []
    assert fake.messages(CHAT) == {1: "Receipt saved", 2: "Another"}


@pytest.mark.asyncio
async def test_numeric_looking_text_stays_a_string(fake: FakeTelegram) -> None:
    async with make_bot(fake) as bot:
        message = await bot.send_message(chat_id=CHAT, text="42")
    assert message.text == "42"
    assert fake.calls_for("sendMessage")[0].params["text"] == "42"


@pytest.mark.asyncio
async def test_edit_message_text_and_telegram_style_errors(fake: FakeTelegram) -> None:
    async with make_bot(fake) as bot:
        sent = await bot.send_message(chat_id=CHAT, text="Reading your receipt…")
        edited = await bot.edit_message_text(
            chat_id=CHAT, message_id=sent.message_id, text="Total: 12.50 EUR"
        )
        assert not isinstance(edited, bool)
        assert edited.text == "Total: 12.50 EUR"
        assert edited.edit_date is not None
        assert fake.messages(CHAT) == {sent.message_id: "Total: 12.50 EUR"}

        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text(
                chat_id=CHAT, message_id=sent.message_id, text="Total: 12.50 EUR"
            )
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text(chat_id=CHAT, message_id=999, text="x")

        # Same text but a keyboard added: that *is* a modification.
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Undo", callback_data="undo")]])
        await bot.edit_message_text(
            chat_id=CHAT, message_id=sent.message_id, text="Total: 12.50 EUR", reply_markup=keyboard
        )
        await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id)

        assert await bot.delete_message(chat_id=CHAT, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await bot.delete_message(chat_id=CHAT, message_id=sent.message_id)
    assert fake.messages(CHAT) == {}


@pytest.mark.asyncio
async def test_get_file_and_download_returns_the_added_bytes(fake: FakeTelegram) -> None:
    data = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    file_id = fake.add_file(data, mime_type="image/jpeg")
    async with make_bot(fake) as bot:
        tg_file = await bot.get_file(file_id)
        assert tg_file.file_size == len(data)
        assert tg_file.file_path is not None
        assert tg_file.file_path.startswith(f"{fake.url}/file/bot{fake.token}/photos/")
        assert await tg_file.download_as_bytearray() == bytearray(data)
        with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
            await bot.get_file("no-such-file")


@pytest.mark.asyncio
async def test_send_document_with_bytes_records_the_upload(fake: FakeTelegram) -> None:
    pdf = b"%PDF-1.4\n" + b"\x00\x01binary\r\n--not-a-boundary\r\n" * 100
    async with make_bot(fake) as bot:
        message = await bot.send_document(
            chat_id=CHAT, document=pdf, filename="receipts-2025-11.pdf", caption="Your export"
        )
        assert message.document is not None
        assert message.document.file_name == "receipts-2025-11.pdf"
        assert message.document.mime_type == "application/pdf"
        assert message.document.file_size == len(pdf)
        assert message.caption == "Your export"
        # What the bot uploaded can be fetched back like any Telegram file.
        again = await bot.get_file(message.document.file_id)
        assert await again.download_as_bytearray() == bytearray(pdf)

    (call,) = fake.calls_for("sendDocument", chat_id=CHAT)
    assert call.files == {"document": ("receipts-2025-11.pdf", pdf)}
    assert call.params["chat_id"] == CHAT
    assert call.params["caption"] == "Your export"
    assert "document" not in call.params
    assert fake.messages(CHAT) == {message.message_id: "Your export"}


@pytest.mark.asyncio
async def test_send_photo_and_media_group_uploads(fake: FakeTelegram) -> None:
    png = _png(30, 20)
    async with make_bot(fake) as bot:
        photo_message = await bot.send_photo(chat_id=CHAT, photo=png, caption="Chart")
        sizes = photo_message.photo
        assert sizes[-1].width == 30
        assert sizes[-1].height == 20
        album = await bot.send_media_group(
            chat_id=CHAT,
            media=[InputMediaPhoto(png, caption="one"), InputMediaPhoto(_png(5, 5))],
        )
    assert len(album) == 2
    assert album[0].media_group_id == album[1].media_group_id is not None
    (photo_call,) = fake.calls_for("sendPhoto")
    assert photo_call.files["photo"][1] == png
    (group_call,) = fake.calls_for("sendMediaGroup")
    media = group_call.params["media"]
    assert [item["type"] for item in media] == ["photo", "photo"]
    attach_names = [item["media"].removeprefix("attach://") for item in media]
    assert set(group_call.files) == set(attach_names)
    assert group_call.files[attach_names[0]][1] == png
    assert list(fake.messages(CHAT).values()) == ["Chart", "one", ""]


@pytest.mark.asyncio
async def test_set_my_commands_is_recorded_per_scope_and_language(fake: FakeTelegram) -> None:
    commands = [BotCommand("summary", "Totals"), BotCommand("help", "What I do")]
    async with make_bot(fake) as bot:
        assert await bot.set_my_commands(commands, scope=BotCommandScopeDefault())
        assert await bot.get_my_commands() == tuple(commands)
        assert await bot.get_my_commands(language_code="ms") == ()
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Summary!", "x")])
        with pytest.raises(BadRequest, match=r"(?i)description_invalid"):
            await bot.set_my_commands([BotCommand("summary", "x" * 257)])
    (call, *_) = fake.calls_for("setMyCommands")
    assert call.params["commands"][0] == {"command": "summary", "description": "Totals"}


@pytest.mark.asyncio
async def test_wrong_token_raises_invalid_token(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(fake, token="1000:not-the-token"):
            pass


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fail_next_injects_flood_control_once(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage")
    fake.fail_next("sendChatAction", error_code=500, description="Internal Server Error")
    async with make_bot(fake) as bot:
        with pytest.raises(RetryAfter):
            await bot.send_message(chat_id=CHAT, text="first try")
        retried = await bot.send_message(chat_id=CHAT, text="first try")
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_chat_action(chat_id=CHAT, action="typing")
        assert await bot.send_chat_action(chat_id=CHAT, action="typing")
    assert len(fake.calls_for("sendMessage", chat_id=CHAT)) == 2  # failed attempts are recorded
    assert fake.messages(CHAT) == {retried.message_id: "first try"}


@pytest.mark.asyncio
async def test_photo_update_deserialises_with_the_photo_as_attachment(fake: FakeTelegram) -> None:
    data = b"\xff\xd8\xff" + b"j" * 5000
    file_id = fake.add_file(data, mime_type="image/jpeg")
    raw = fake.photo_update(chat_id=CHAT, user_id=USER, file_id=file_id, caption="lunch")
    async with make_bot(fake) as bot:
        update = Update.de_json(raw, bot)
        message = update.effective_message
        assert message is not None
        attachment = message.effective_attachment
        assert isinstance(attachment, tuple)
        assert all(isinstance(size, PhotoSize) for size in attachment)
        largest = attachment[-1]
        assert largest.file_id == file_id
        assert (largest.width, largest.height) == (1000, 1500)
        assert largest.file_size == len(data)
        assert [s.width for s in attachment] == sorted(s.width for s in attachment)
        assert message.caption == "lunch"
        assert update.effective_user is not None
        assert update.effective_user.first_name == "Ana"
        downloaded = await (await bot.get_file(largest.file_id)).download_as_bytearray()
        assert downloaded == bytearray(data)

    second = fake.photo_update(chat_id=CHAT, user_id=USER, file_id=file_id)
    assert second["update_id"] == raw["update_id"] + 1
    assert second["message"]["message_id"] == raw["message"]["message_id"] + 1
    with pytest.raises(ValueError, match="unknown file_id"):
        fake.photo_update(chat_id=CHAT, user_id=USER, file_id="nope")


@pytest.mark.asyncio
async def test_document_text_and_callback_updates(fake: FakeTelegram) -> None:
    file_id = fake.add_file(b"%PDF-1.7 receipt", file_name="r.pdf")
    async with make_bot(fake) as bot:
        doc = Update.de_json(
            fake.document_update(
                chat_id=CHAT,
                user_id=USER,
                file_id=file_id,
                file_name="r.pdf",
                mime_type="application/pdf",
            ),
            bot,
        )
        assert doc.message is not None
        assert doc.message.document is not None
        assert doc.message.document.file_name == "r.pdf"
        assert doc.message.document.file_size == len(b"%PDF-1.7 receipt")

        command = Update.de_json(
            fake.text_update(chat_id=CHAT, user_id=USER, text="/month 2025-11"), bot
        )
        assert command.message is not None
        assert command.message.parse_entities() == {command.message.entities[0]: "/month"}
        assert command.message.entities[0].type == "bot_command"
        plain = fake.text_update(chat_id=CHAT, user_id=USER, text="hello")
        assert "entities" not in plain["message"]

        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
        sent = await bot.send_message(chat_id=CHAT, text="Correct?", reply_markup=keyboard)
        press = Update.de_json(
            fake.callback_query_update(
                chat_id=CHAT, user_id=USER, message_id=sent.message_id, data="yes"
            ),
            bot,
        )
        query = press.callback_query
        assert query is not None
        assert query.data == "yes"
        assert query.message is not None
        assert query.message.message_id == sent.message_id
        assert await query.answer("Saved")
        with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
            await query.answer()
    # message ids are shared by the user's and the bot's messages in a chat
    assert sent.message_id == 4


async def test_force_reply_prompt_and_a_reply_to_it(fake: FakeTelegram) -> None:
    async with make_bot(fake) as bot:
        prompt = await bot.send_message(
            chat_id=CHAT,
            text="Send me the total.",
            reply_markup=ForceReply(input_field_placeholder="e.g. 23.40"),
        )
        assert prompt.reply_markup is None  # only inline keyboards come back in a Message
        call = fake.calls_for("sendMessage", CHAT)[-1]
        assert call.params["reply_markup"] == {
            "force_reply": True,
            "input_field_placeholder": "e.g. 23.40",
        }
        with pytest.raises(BadRequest, match=r"(?i)can't parse reply keyboard markup"):
            await bot.send_message(
                chat_id=CHAT, text="x", reply_markup=ForceReply(input_field_placeholder="x" * 65)
            )
        answer = Update.de_json(
            fake.text_update(chat_id=CHAT, user_id=USER, text="12.50", reply_to=prompt.message_id),
            bot,
        )
        assert answer.message is not None and answer.message.reply_to_message is not None
        assert answer.message.reply_to_message.message_id == prompt.message_id
        assert answer.message.reply_to_message.text == "Send me the total."
        assert answer.message.reply_to_message.from_user is not None
        assert answer.message.reply_to_message.from_user.is_bot
        with pytest.raises(LookupError):
            fake.text_update(chat_id=CHAT, user_id=USER, text="x", reply_to=999)


@pytest.mark.asyncio
async def test_parse_modes_render_and_reject_like_telegram(fake: FakeTelegram) -> None:
    async with make_bot(fake) as bot:
        html = await bot.send_message(
            chat_id=CHAT, text="<b>Total</b>: 12.50 &lt;EUR&gt;", parse_mode=ParseMode.HTML
        )
        assert html.text == "Total: 12.50 <EUR>"
        assert [(e.type, e.offset, e.length) for e in html.entities] == [("bold", 0, 5)]
        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
            await bot.send_message(chat_id=CHAT, text="a<br>b", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)character '.' is reserved"):
            await bot.send_message(chat_id=CHAT, text="*Total* 12.50", parse_mode="MarkdownV2")
        md = await bot.send_message(
            chat_id=CHAT, text="*Total* 12\\.50 [link](https://x.test/a)", parse_mode="MarkdownV2"
        )
        assert md.text == "Total 12.50 link"
        assert [e.type for e in md.entities] == ["bold", "text_link"]
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(
                chat_id=CHAT,
                text="x",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("too long", callback_data="x" * 65)]]
                ),
            )
    assert fake.messages(CHAT) == {1: "Total: 12.50 <EUR>", 2: "Total 12.50 link"}


@pytest.mark.asyncio
async def test_get_updates_honours_offset(fake: FakeTelegram) -> None:
    first = fake.text_update(chat_id=CHAT, user_id=USER, text="one")
    second = fake.text_update(chat_id=CHAT, user_id=USER, text="two")
    fake.pending_updates.extend([first, second])
    async with make_bot(fake) as bot:
        updates = await bot.get_updates(timeout=5)
        assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
        # confirming the first forgets it; the second is served again
        again = await bot.get_updates(offset=first["update_id"] + 1, timeout=0)
        assert [u.update_id for u in again] == [second["update_id"]]
        empty = await bot.get_updates(offset=second["update_id"] + 1, timeout=1)
        assert empty == ()
    assert fake.pending_updates == []


@pytest.mark.asyncio
async def test_real_application_polls_the_fake_and_replies(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome! Send me a receipt photo.")

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        status = await message.reply_text("Reading…")
        tg_file = await message.photo[-1].get_file()
        data = await tg_file.download_as_bytearray()
        await status.edit_text(f"Got {len(data)} bytes")

    app = (
        Application.builder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    file_id = fake.add_file(b"\xff\xd8\xff" + b"p" * 1234, mime_type="image/jpeg")

    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        fake.pending_updates.append(fake.text_update(chat_id=CHAT, user_id=USER, text="/start"))
        fake.pending_updates.append(fake.photo_update(chat_id=CHAT, user_id=USER, file_id=file_id))
        await fake.wait_for_async(
            lambda f: "Got 1237 bytes" in f.messages(CHAT).values(), timeout=15
        )
        await app.updater.stop()
        await app.stop()

    assert list(fake.messages(CHAT).values()) == [
        "Welcome! Send me a receipt photo.",
        "Got 1237 bytes",
    ]
    assert fake.calls_for("deleteWebhook")  # PTB's polling bootstrap
    assert fake.pending_updates == []


def test_wait_for_times_out_with_the_recent_calls(fake: FakeTelegram) -> None:
    with pytest.raises(TimeoutError, match="condition not met"):
        fake.wait_for(lambda f: f.messages(CHAT)[1] == "never", timeout=0.1)
