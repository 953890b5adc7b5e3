"""The fake Telegram Bot API server: routing, the Bot API methods the bot uses, and the test-side
helpers (updates to send, what the bot sent, waiting for it).

Like Telegram, ``getUpdates`` forgets an update only once a later call confirms it with
``offset`` (PTB does that on its very next poll), so an update that was served but not yet
confirmed is still in ``pending_updates``.

HTTP 401 *and* 404 both become ``telegram.error.InvalidToken`` in PTB; any response whose
``parameters`` contain ``retry_after`` becomes ``RetryAfter``, whatever the status code.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from devstack.telegram import wire
from devstack.telegram.errors import NOT_MODIFIED, QUERY_INVALID, ApiError, JSONDict, bad_request
from devstack.telegram.files import MAX_DOWNLOAD_BYTES, FileStore
from devstack.telegram.formatting import utf16_len
from devstack.telegram.transport import LoopbackServer, json_response
from devstack.telegram.wire import SentCall, Upload

__all__ = ["FakeTelegram", "SentCall"]

LONG_POLL_CAP_SECONDS = 1.0


@dataclass
class _Failure:
    error_code: int
    description: str
    retry_after: int | None
    when: Callable[[JSONDict], bool] | None = None


class FakeTelegram:
    """A fake Telegram Bot API server on 127.0.0.1 (see ``devstack.telegram``)."""

    def __init__(
        self,
        *,
        token: str = "1000:fake-token",  # noqa: S107 - a fake token
        bot_username: str = "receiptsnap_test_bot",
        first_update_id: int = 100_001,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1000
        self.url = ""
        self.calls: list[SentCall] = []
        self.pending_updates: list[dict[str, Any]] = []
        self.server_errors: list[str] = []  # unexpected exceptions inside the fake (answered 500)
        self.webhook: dict[str, Any] | None = None  # params of the last setWebhook, if active
        self.commands: dict[str, list[Any]] = {}  # setMyCommands, by JSON of scope+language
        self.menu_buttons: dict[str, Any] = {}  # setChatMenuButton, by chat id ("" the default)

        self._lock = threading.RLock()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._update_ids = itertools.count(first_update_id)
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._last_message_id: dict[int | str, int] = {}
        self._chat_names: dict[int | str, str] = {}
        self._languages: dict[int, str | None] = {}  # user: language_code ("en" unless set)
        self._bot_messages: dict[int | str, dict[int, JSONDict]] = {}
        self._user_messages: dict[int | str, dict[int, JSONDict]] = {}
        self._files = FileStore(self._lock)
        self._failures: dict[str, deque[_Failure]] = {}
        self._downloads_open = threading.Event()  # cleared: file downloads wait (hold_downloads)
        self._downloads_open.set()
        self.downloads_waiting = 0
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        # Groups the bot was removed from (``my_chat_member_update``): what it sends there is
        # refused as Telegram does, 403 "bot was kicked".
        self._removed_from: set[int] = set()
        self._methods: dict[str, tuple[str, Callable[[JSONDict, dict[str, Upload]], Any]]] = {}
        for name, handler in self._handlers().items():
            self._methods[name.lower()] = (name, handler)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._server is not None:
            return
        self._stopping.clear()
        server = LoopbackServer(self)
        self._server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeTelegram",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with server.connections_lock:
            connections = list(server.open_connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeTelegram:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- test-side helpers

    def add_file(
        self, data: bytes, *, file_name: str | None = None, mime_type: str | None = None
    ) -> str:
        """Stores a file as if a user had sent it; returns its file_id for getFile/updates."""
        return self._files.store(data, file_name=file_name, mime_type=mime_type).file_id

    def set_language(self, user_id: int, language_code: str | None) -> None:
        """The ``language_code`` that ``user_id``'s updates carry from now on (None: none, as
        Telegram leaves it out for some users); "en" until set."""
        with self._lock:
            self._languages[user_id] = language_code

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str = "Too Many Requests: retry after 1",
        retry_after: int | None = 1,
        when: Callable[[JSONDict], bool] | None = None,
    ) -> None:
        """Makes the next call to ``method`` fail (queued: call it twice to fail twice); with
        ``when``, the next call whose parameters it accepts (say, the edit that sends a card).

        ``parameters.retry_after`` is only sent with error code 429, as Telegram does; PTB turns
        any response that carries it into ``RetryAfter`` whatever the status code.
        """
        failure = _Failure(
            error_code, description, retry_after if error_code == 429 else None, when
        )
        with self._lock:
            self._failures.setdefault(method.lower(), deque()).append(failure)

    def hold_downloads(self) -> None:
        """File downloads wait (answered once ``release_downloads``, or after a minute), so a
        test can catch the bot in the middle of a capture; ``downloads_waiting`` counts them."""
        self._downloads_open.clear()

    def release_downloads(self) -> None:
        self._downloads_open.set()

    def photo_update(
        self,
        *,
        chat_id: int,
        user_id: int,
        file_id: str,
        caption: str | None = None,
        width: int = 1000,
        height: int = 1500,
        first_name: str = "Ana",
    ) -> dict[str, Any]:
        """An Update with a photo message; ``photo`` lists PhotoSizes, largest (``file_id``) last.

        The smaller sizes are extra file_ids that serve the same bytes; their file_size is an
        estimate proportional to their area.
        """
        with self._lock:
            stored = self._files.require(file_id)
            photo = self._files.photo_sizes(stored, width, height)
            content: JSONDict = {"photo": photo}
            if caption is not None:
                content["caption"] = caption
            return self._user_update(chat_id, user_id, first_name, content)

    def document_update(
        self,
        *,
        chat_id: int,
        user_id: int,
        file_id: str,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        first_name: str = "Ana",
    ) -> dict[str, Any]:
        with self._lock:
            stored = self._files.require(file_id)
            document = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": stored.file_size,
            }
            content: JSONDict = {"document": document}
            if caption is not None:
                content["caption"] = caption
            return self._user_update(chat_id, user_id, first_name, content)

    def text_update(
        self,
        *,
        chat_id: int,
        user_id: int,
        text: str,
        first_name: str = "Ana",
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """An Update with a text message; with ``reply_to``, a reply to that message of the chat
        (the bot's or the user's; as Telegram does, the quoted message carries no reply of its
        own). A force-reply prompt is answered this way."""
        content: JSONDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        with self._lock:
            if reply_to is not None:
                quoted = self._quoted(chat_id, reply_to)
                if quoted is None:
                    raise LookupError(f"no message {reply_to} in chat {chat_id} to reply to")
                content["reply_to_message"] = quoted
            return self._user_update(chat_id, user_id, first_name, content)

    def callback_query_update(
        self, *, chat_id: int, user_id: int, message_id: int, data: str
    ) -> dict[str, Any]:
        """An Update for a press on an inline button of the bot's message ``message_id``."""
        with self._lock:
            message = self._bot_messages.get(chat_id, {}).get(message_id)
            if message is None:
                message = {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": self._chat(chat_id),
                    "from": self._bot_user(),
                    "text": "",
                }
            query_id = str(next(self._callback_ids))
            self._callback_queries[query_id] = False
            return {
                "update_id": next(self._update_ids),
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id, self._chat_names.get(chat_id, "Ana")),
                    "chat_instance": str(-abs(chat_id) * 7919 - 11),
                    "message": copy.deepcopy(message),
                    "data": data,
                },
            }

    def left_member_update(
        self, *, chat_id: int, user_id: int, first_name: str = "Ana"
    ) -> JSONDict:
        """The service message "… left the group" (Telegram sends it to every bot in the group,
        privacy mode or not), from the member themselves; ``user_id`` the bot's: it was
        removed."""
        member = self._bot_user() if user_id == self.bot_id else self._user(user_id, first_name)
        with self._lock:
            return self._user_update(chat_id, user_id, first_name, {"left_chat_member": member})

    def migrate_update(self, *, old_chat_id: int, new_chat_id: int, user_id: int) -> JSONDict:
        """The service message in group ``old_chat_id`` saying it was upgraded to the supergroup
        ``new_chat_id`` (``migrate_to_chat_id``)."""
        with self._lock:
            return self._user_update(
                old_chat_id, user_id, "Ana", {"migrate_to_chat_id": new_chat_id}
            )

    def my_chat_member_update(
        self, *, chat_id: int, by_user_id: int, status: str, first_name: str = "Ana"
    ) -> JSONDict:
        """The bot's own status in group ``chat_id`` changed to ``status`` ("member", "left",
        "kicked") by ``by_user_id``: a ``my_chat_member`` update. From then on, until it is a
        member again, the fake refuses what the bot sends there (403), as Telegram does."""
        old = "member" if status in ("left", "kicked") else "left"

        def member(state: str) -> JSONDict:
            found: JSONDict = {"user": self._bot_user(), "status": state}
            if state == "kicked":
                found["until_date"] = 0
            return found

        with self._lock:
            if status in ("left", "kicked"):
                self._removed_from.add(chat_id)
            else:
                self._removed_from.discard(chat_id)
            return {
                "update_id": next(self._update_ids),
                "my_chat_member": {
                    "chat": self._chat(chat_id),
                    "from": self._user(by_user_id, first_name),
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(status),
                },
            }

    def chat_member_update(
        self, *, chat_id: int, user_id: int, by_user_id: int, status: str, first_name: str = "Ana"
    ) -> JSONDict:
        """Member ``user_id``'s status in group ``chat_id`` changed to ``status`` ("member",
        "left", "kicked") by ``by_user_id``: a ``chat_member`` update (Telegram sends these
        only to a bot that is an admin of the group and names them in ``allowed_updates``)."""
        old = "member" if status in ("left", "kicked") else "left"

        def member(state: str) -> JSONDict:
            found: JSONDict = {"user": self._user(user_id, first_name), "status": state}
            if state == "kicked":
                found["until_date"] = 0
            return found

        with self._lock:
            return {
                "update_id": next(self._update_ids),
                "chat_member": {
                    "chat": self._chat(chat_id),
                    "from": self._user(by_user_id, self._chat_names.get(by_user_id, "Ana")),
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(status),
                },
            }

    def calls_for(self, method: str, chat_id: int | None = None) -> list[SentCall]:
        with self._lock:
            return [
                call
                for call in self.calls
                if call.method.lower() == method.lower()
                and (chat_id is None or call.params.get("chat_id") == chat_id)
            ]

    def messages(self, chat_id: int) -> dict[int, str]:
        """The bot's messages in the chat as the user now sees them: message_id -> text.

        sendMessage adds, editMessageText/editMessageCaption replace, deleteMessage removes;
        photos/documents show their caption ("" without one). ``parse_mode`` markup is rendered
        to plain text, as in the Telegram app. The user's own messages are not included.
        """
        with self._lock:
            chat = self._bot_messages.get(chat_id, {})
            return {
                message_id: str(message.get("text", message.get("caption", "")))
                for message_id, message in sorted(chat.items())
            }

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The full Message object the bot sent (as PTB received it), or None."""
        with self._lock:
            found = self._bot_messages.get(chat_id, {}).get(message_id)
            return copy.deepcopy(found) if found is not None else None

    def wait_for(self, predicate: Callable[[FakeTelegram], bool], timeout: float = 30.0) -> None:
        """Blocks until ``predicate(self)`` is true (LookupErrors count as false).

        Do not call this from the event loop the bot runs on: it blocks the loop, so the bot
        cannot make progress. Use ``await fake.wait_for_async(...)`` there.
        """
        deadline = time.monotonic() + timeout
        last_error: BaseException | None = None
        while True:
            ok, last_error = self._check(predicate, last_error)
            if ok:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(timeout, last_error))
            time.sleep(0.02)

    async def wait_for_async(
        self, predicate: Callable[[FakeTelegram], bool], timeout: float = 30.0
    ) -> None:
        """Like :meth:`wait_for`, but yields to the event loop between checks."""
        deadline = time.monotonic() + timeout
        last_error: BaseException | None = None
        while True:
            ok, last_error = self._check(predicate, last_error)
            if ok:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(timeout, last_error))
            await asyncio.sleep(0.02)

    def _check(
        self, predicate: Callable[[FakeTelegram], bool], last_error: BaseException | None
    ) -> tuple[bool, BaseException | None]:
        try:
            return bool(predicate(self)), last_error
        except LookupError as exc:
            return False, exc

    def _timeout_message(self, timeout: float, last_error: BaseException | None) -> str:
        with self._lock:
            recent = [c for c in self.calls if c.method != "getUpdates"][-15:]
            errors = list(self.server_errors[-5:])
        lines = [f"condition not met within {timeout:g}s"]
        if last_error is not None:
            lines.append(f"predicate last raised {last_error!r}")
        lines.append(f"last {len(recent)} calls (getUpdates omitted):")
        for call in recent:
            params = {k: v for k, v in call.params.items() if k not in ("reply_markup",)}
            summary = json.dumps(params, ensure_ascii=False, default=str)
            if len(summary) > 200:
                summary = summary[:197] + "..."
            files = f" files={[(k, v[0], len(v[1])) for k, v in call.files.items()]}"
            lines.append(f"  {call.method} {summary}{files if call.files else ''}")
        if not recent:
            lines.append("  (none)")
        for error in errors:
            lines.append(f"fake server error: {error}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- HTTP entry point

    def record_server_error(self, error: str) -> None:
        with self._lock:
            self.server_errors.append(error)

    def handle_http(
        self, http_method: str, raw_path: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        try:
            return self._route(http_method, raw_path, content_type, body)
        except ApiError as exc:
            return json_response(exc.code, exc.body())
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: answer 500, remember it
            with self._lock:
                self.server_errors.append(f"{http_method} {raw_path}: {exc!r}")
            return json_response(
                500,
                {"ok": False, "error_code": 500, "description": f"Internal Server Error: {exc}"},
            )

    def _route(
        self, http_method: str, raw_path: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        split = urlsplit(raw_path)
        path = unquote(split.path)
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot") :].partition("/")
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            with self._lock:
                stored = self._files.by_path(file_path)
            if stored is None:
                raise ApiError(404, "Not Found")
            if not self._downloads_open.is_set():
                with self._lock:
                    self.downloads_waiting += 1
                self._downloads_open.wait(timeout=60)
            return 200, stored.mime_type or "application/octet-stream", stored.data
        if not path.startswith("/bot"):
            raise ApiError(404, "Not Found")
        token, _, method = path[len("/bot") :].partition("/")
        if token != self.token:
            raise ApiError(401, "Unauthorized")

        params, uploads = wire.decode_request(split.query, content_type, body)
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        call = SentCall(
            method=name,
            params=params,
            files={field: (u.filename, u.data) for field, u in uploads.items()},
            at=time.monotonic(),
        )
        with self._lock:
            self.calls.append(call)
            failure = None
            queue = self._failures.get(method.lower()) or deque()
            for queued in queue:
                if queued.when is None or queued.when(params):
                    failure = queued
                    queue.remove(queued)
                    break
        if failure is None and _chat_of(params) in self._removed_from and name != "getChat":
            error = ApiError(403, "Forbidden: bot was kicked from the group chat")
            return json_response(403, error.body())
        if failure is not None:
            error = ApiError(
                failure.error_code,
                failure.description,
                {"retry_after": failure.retry_after} if failure.retry_after is not None else None,
            )
            return json_response(failure.error_code, error.body())
        if entry is None:
            raise ApiError(404, "Not Found")
        result = entry[1](params, uploads)
        return json_response(200, {"ok": True, "result": result})

    # ---------------------------------------------------------------- state helpers

    def _handlers(self) -> dict[str, Callable[[JSONDict, dict[str, Upload]], Any]]:
        return {
            "getMe": lambda p, u: self._bot_user(full=True),
            "logOut": lambda p, u: True,
            "close": lambda p, u: True,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "getFile": self._get_file,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getChat": self._get_chat,
            "getUpdates": self._get_updates,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }

    def _bot_user(self, *, full: bool = False) -> JSONDict:
        user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "ReceiptSnap",
            "username": self.bot_username,
        }
        if full:
            user.update(
                can_join_groups=True,
                can_read_all_group_messages=False,
                supports_inline_queries=False,
                can_connect_to_business=False,
                has_main_web_app=False,
            )
        return user

    def _user(self, user_id: int, first_name: str) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        language = self._languages.get(user_id, "en")
        if language is not None:  # Telegram's is optional: some users' updates carry none
            user["language_code"] = language
        return user

    def _chat(self, chat_id: int | str) -> JSONDict:
        if isinstance(chat_id, int) and chat_id > 0:
            return {
                "id": chat_id,
                "type": "private",
                "first_name": self._chat_names.get(chat_id, "Ana"),
            }
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _next_message_id(self, chat_id: int | str) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _user_update(
        self, chat_id: int, user_id: int, first_name: str, content: JSONDict
    ) -> dict[str, Any]:
        if chat_id > 0:
            self._chat_names[chat_id] = first_name
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._user(user_id, first_name),
            **content,
        }
        self._user_messages.setdefault(chat_id, {})[message["message_id"]] = message
        return {"update_id": next(self._update_ids), "message": copy.deepcopy(message)}

    def _quoted(self, chat_id: int, message_id: int) -> JSONDict | None:
        """Message ``message_id`` of the chat (the bot's or a user's) as a reply quotes it:
        without its own ``reply_to_message``."""
        original = self._bot_messages.get(chat_id, {}).get(message_id)
        if original is None:
            original = self._user_messages.get(chat_id, {}).get(message_id)
        if original is None:
            return None
        return copy.deepcopy({k: v for k, v in original.items() if k != "reply_to_message"})

    # ---------------------------------------------------------------- validation helpers

    def _new_bot_message(self, chat_id: int, params: JSONDict, content: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        reply = params.get("reply_parameters")
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        if reply_to is None:
            reply_to = params.get("reply_to_message_id")
        if isinstance(reply_to, int):
            quoted = self._quoted(chat_id, reply_to)
            if quoted is not None:
                message["reply_to_message"] = quoted
        markup = wire.reply_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        self._bot_messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def _editable(self, params: JSONDict) -> JSONDict | None:
        """The stored message an edit refers to; None for inline messages."""
        if params.get("inline_message_id"):
            return None
        chat_id = wire.chat_id(params)
        message_id = wire.message_id(params)
        message = self._bot_messages.get(chat_id, {}).get(message_id)
        if message is None:
            if message_id in self._user_messages.get(chat_id, {}):
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return message

    def _apply_edit(self, message: JSONDict, changes: JSONDict, params: JSONDict) -> JSONDict:
        markup = wire.reply_markup(params)
        updated = {
            k: v
            for k, v in message.items()
            if k not in ("reply_markup", "edit_date") and k not in changes
        }
        updated.update({k: v for k, v in changes.items() if v is not None})
        if markup is not None:
            updated["reply_markup"] = markup
        before = {k: v for k, v in message.items() if k != "edit_date"}
        if updated == before:
            raise ApiError(400, NOT_MODIFIED)
        updated["edit_date"] = int(time.time())
        chat_id = message["chat"]["id"]
        self._bot_messages[chat_id][message["message_id"]] = updated
        return copy.deepcopy(updated)

    # ---------------------------------------------------------------- method handlers

    def _send_message(self, params: JSONDict, uploads: dict[str, Upload]) -> JSONDict:
        chat_id = wire.chat_id(params)
        text, entities = wire.rendered_text(params)
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        with self._lock:
            return copy.deepcopy(self._new_bot_message(chat_id, params, content))

    def _edit_message_text(self, params: JSONDict, uploads: dict[str, Upload]) -> Any:
        text, entities = wire.rendered_text(params)
        wire.reply_markup(params)
        with self._lock:
            message = self._editable(params)
            if message is None:
                return True
            if "text" not in message:
                raise bad_request("there is no text in the message to edit")
            changes: JSONDict = {"text": text, "entities": entities or None}
            return self._apply_edit(message, changes, params)

    def _edit_message_caption(self, params: JSONDict, uploads: dict[str, Upload]) -> Any:
        caption = wire.rendered_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        wire.reply_markup(params)
        with self._lock:
            message = self._editable(params)
            if message is None:
                return True
            if "text" in message:
                raise bad_request("there is no caption in the message to edit")
            changes: JSONDict = {
                "caption": caption[0] if caption else None,
                "caption_entities": (caption[1] or None) if caption else None,
            }
            return self._apply_edit(message, changes, params)

    def _edit_message_reply_markup(self, params: JSONDict, uploads: dict[str, Upload]) -> Any:
        wire.reply_markup(params)
        with self._lock:
            message = self._editable(params)
            if message is None:
                return True
            return self._apply_edit(message, {}, params)

    def _delete_message(self, params: JSONDict, uploads: dict[str, Upload]) -> bool:
        chat_id = wire.chat_id(params)
        message_id = wire.message_id(params)
        with self._lock:
            for store in (self._bot_messages, self._user_messages):
                if store.get(chat_id, {}).pop(message_id, None) is not None:
                    return True
        raise bad_request("message to delete not found")

    def _delete_messages(self, params: JSONDict, uploads: dict[str, Upload]) -> bool:
        chat_id = wire.chat_id(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message identifiers are not specified")
        with self._lock:
            for message_id in ids:
                for store in (self._bot_messages, self._user_messages):
                    store.get(chat_id, {}).pop(message_id, None)
        return True

    def _answer_callback_query(self, params: JSONDict, uploads: dict[str, Upload]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        with self._lock:
            if self._callback_queries.get(query_id) is not False:
                raise ApiError(400, QUERY_INVALID)
            self._callback_queries[query_id] = True
        return True

    def _send_chat_action(self, params: JSONDict, uploads: dict[str, Upload]) -> bool:
        wire.chat_id(params)
        if params.get("action") not in wire.CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _send_photo(self, params: JSONDict, uploads: dict[str, Upload]) -> JSONDict:
        chat_id = wire.chat_id(params)
        caption = wire.rendered_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        with self._lock:
            stored = self._files.resolve_media(params.get("photo"), "photo", uploads, as_photo=True)
            content = wire.with_caption(self._files.photo_content(stored), caption)
            return copy.deepcopy(self._new_bot_message(chat_id, params, content))

    def _send_document(self, params: JSONDict, uploads: dict[str, Upload]) -> JSONDict:
        chat_id = wire.chat_id(params)
        caption = wire.rendered_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        with self._lock:
            stored = self._files.resolve_media(
                params.get("document"), "document", uploads, as_photo=False
            )
            content = wire.with_caption(self._files.document_content(stored, None), caption)
            return copy.deepcopy(self._new_bot_message(chat_id, params, content))

    def _send_media_group(self, params: JSONDict, uploads: dict[str, Upload]) -> list[JSONDict]:
        chat_id = wire.chat_id(params)
        media = params.get("media")
        if not isinstance(media, list) or not media:
            raise bad_request("media is empty")
        if len(media) > 10:
            raise bad_request("too many messages to send as an album")
        group_id = str(secrets.randbits(60))
        prepared: list[JSONDict] = []
        with self._lock:
            for item in media:
                if not isinstance(item, dict) or item.get("type") not in (
                    "photo",
                    "video",
                    "document",
                    "audio",
                ):
                    raise bad_request("can't parse InputMedia: unsupported media type")
                caption = wire.rendered_caption(
                    item.get("caption"), item.get("parse_mode"), item.get("caption_entities")
                )
                kind = item["type"]
                stored = self._files.resolve_media(
                    item.get("media"), kind, uploads, as_photo=kind == "photo"
                )
                if kind == "photo":
                    content = self._files.photo_content(stored)
                elif kind == "document":
                    content = self._files.document_content(stored, None)
                else:
                    content = {
                        kind: {
                            "file_id": stored.file_id,
                            "file_unique_id": stored.file_unique_id,
                            "file_size": stored.file_size,
                            "duration": 0,
                            **({"width": 1280, "height": 720} if kind == "video" else {}),
                        }
                    }
                content["media_group_id"] = group_id
                prepared.append(wire.with_caption(content, caption))
            reply_params = {k: v for k, v in params.items() if k != "reply_markup"}
            messages = [self._new_bot_message(chat_id, reply_params, c) for c in prepared]
            return copy.deepcopy(messages)

    def _get_file(self, params: JSONDict, uploads: dict[str, Upload]) -> JSONDict:
        with self._lock:
            stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def _set_webhook(self, params: JSONDict, uploads: dict[str, Upload]) -> bool:
        url = str(params.get("url", ""))
        with self._lock:
            if params.get("drop_pending_updates") is True:
                self.pending_updates.clear()
            self.webhook = dict(params) if url else None
        return True

    def _delete_webhook(self, params: JSONDict, uploads: dict[str, Upload]) -> bool:
        with self._lock:
            if params.get("drop_pending_updates") is True:
                self.pending_updates.clear()
            self.webhook = None
        return True

    def _get_webhook_info(self, params: JSONDict, uploads: dict[str, Upload]) -> JSONDict:
        with self._lock:
            webhook = dict(self.webhook or {})
            info: JSONDict = {
                "url": str(webhook.get("url", "")),
                "has_custom_certificate": "certificate" in webhook,
                "pending_update_count": len(self.pending_updates),
            }
        if webhook:
            info["max_connections"] = int(webhook.get("max_connections") or 40)
            if webhook.get("ip_address"):
                info["ip_address"] = webhook["ip_address"]
            if isinstance(webhook.get("allowed_updates"), list):
                info["allowed_updates"] = webhook["allowed_updates"]
        return info

    @staticmethod
    def _commands_key(params: JSONDict) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code", "")], sort_keys=True)

    def _set_my_commands(self, params: JSONDict, uploads: dict[str, Upload]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        with self._lock:
            self.commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: JSONDict, uploads: dict[str, Upload]) -> list[Any]:
        with self._lock:
            return list(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSONDict, uploads: dict[str, Upload]) -> bool:
        with self._lock:
            self.commands.pop(self._commands_key(params), None)
        return True

    def _set_chat_menu_button(self, params: JSONDict, uploads: dict[str, Upload]) -> bool:
        """As Telegram: a web_app button needs a text and an HTTPS URL."""
        button = params.get("menu_button") or {"type": "default"}
        if isinstance(button, str):
            button = json.loads(button)
        if button.get("type") == "web_app":
            url = str((button.get("web_app") or {}).get("url", ""))
            if not button.get("text") or not url.startswith("https://"):
                raise bad_request("BUTTON_URL_INVALID")
        with self._lock:
            self.menu_buttons[str(params.get("chat_id", ""))] = button
        return True

    def _get_chat_menu_button(self, params: JSONDict, uploads: dict[str, Upload]) -> Any:
        with self._lock:
            return self.menu_buttons.get(str(params.get("chat_id", "")), {"type": "commands"})

    def _get_chat(self, params: JSONDict, uploads: dict[str, Upload]) -> JSONDict:
        chat_id = wire.chat_id(params)
        with self._lock:
            return {**self._chat(chat_id), "accent_color_id": 0, "max_reaction_count": 11}

    def _get_updates(self, params: JSONDict, uploads: dict[str, Upload]) -> list[JSONDict]:
        with self._lock:
            if self.webhook:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
        offset = params.get("offset")
        limit = params.get("limit")
        limit = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        timeout = params.get("timeout")
        wait = min(float(timeout), LONG_POLL_CAP_SECONDS) if isinstance(timeout, int | float) else 0
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            with self._lock:
                self._confirm_updates(offset)
                batch = list(self.pending_updates[:limit])
            if batch or time.monotonic() >= deadline or self._stopping.is_set():
                return copy.deepcopy(batch)
            time.sleep(0.02)

    def _confirm_updates(self, offset: Any) -> None:
        """Forgets updates below ``offset`` (negative: keep only the last -offset ones)."""
        if not isinstance(offset, int) or isinstance(offset, bool) or offset == 0:
            return
        if offset < 0:
            del self.pending_updates[: max(len(self.pending_updates) + offset, 0)]
            return
        # Delete in place (never rebuild the list): tests append to it from other threads.
        i = 0
        while i < len(self.pending_updates):
            if int(self.pending_updates[i].get("update_id", 0)) < offset:
                del self.pending_updates[i]
            else:
                i += 1

    def __repr__(self) -> str:
        return f"FakeTelegram(url={self.url!r}, calls={len(self.calls)})"


def _chat_of(params: JSONDict) -> int | None:
    """The chat a Bot API call is for (``chat_id``; a callback answer names none)."""
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None
