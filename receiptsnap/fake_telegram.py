"""A fake Telegram Bot API server for the demo command and for tests.

The real python-telegram-bot ``Application``/``Bot`` talks to it over HTTP exactly as it would talk
to ``api.telegram.org``::

    with FakeTelegram() as fake:
        bot = telegram.Bot(
            token=fake.token,
            base_url=f"{fake.url}/bot",
            base_file_url=f"{fake.url}/file/bot",
        )

Standard library only: a ``ThreadingHTTPServer`` runs in a background thread on 127.0.0.1.

How python-telegram-bot (v22) sends requests, and therefore what this server decodes:

* Every method is ``POST {base_url}{token}/{method}``.  Without uploads the body is
  ``application/x-www-form-urlencoded``; every value is a string: plain strings are sent as-is and
  everything else (ints, bools, dicts, lists) is JSON-encoded (``chat_id=42``,
  ``reply_markup={"inline_keyboard": ...}``).  A string ``"42"`` and an int ``42`` are therefore
  indistinguishable on the wire, so decoding is per field (see ``_STRING_FIELDS``).
* With uploads the body is ``multipart/form-data``: the other parameters are plain form parts, a
  single file is the part named after the parameter (``photo``, ``document``), and media-group
  files are parts named ``attached<hex>`` referenced from the JSON as ``attach://attached<hex>``.
* Files are downloaded with ``GET {base_file_url}{token}/{file_path}``, where the path has been
  URL-quoted, so the ``:`` of the token arrives as ``%3A``.
* HTTP 401 *and* 404 both become ``telegram.error.InvalidToken``; any response whose
  ``parameters`` contain ``retry_after`` becomes ``RetryAfter``, whatever the status code.

Like Telegram, ``getUpdates`` forgets an update only once a later call confirms it with
``offset`` (PTB does that on its very next poll), so an update that was served but not yet
confirmed is still in ``pending_updates``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import mimetypes
import re
import secrets
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["FakeTelegram", "SentCall"]

JSONDict = dict[str, Any]

MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units, after entity parsing
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files, like the cloud Bot API
LONG_POLL_CAP_SECONDS = 1.0

# Parameters whose value is always a string, so "42" must not become 42 and "true" not True.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "file_id",
        "action",
        "description",
        "short_description",
        "name",
        "title",
        "photo",
        "document",
        "video",
        "audio",
        "animation",
        "voice",
        "video_note",
        "sticker",
        "thumbnail",
        "emoji",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "query",
        "first_name",
        "last_name",
        "phone_number",
        "question",
        "explanation",
        "address",
        "custom_title",
        "payload",
        "currency",
        "provider_token",
        "start_parameter",
        "invite_link",
        "game_short_name",
        "media_group_id",
        "data",
        "switch_pm_text",
        "switch_pm_parameter",
        "next_offset",
        "result_id",
        "web_app_query_id",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"


@dataclass
class SentCall:
    """One request the bot made."""

    method: str  # e.g. "sendMessage"
    params: dict[str, Any]  # decoded: JSON values parsed, chat_id -> int where numeric
    files: dict[str, tuple[str, bytes]]  # multipart field -> (filename, bytes)
    at: float  # time.monotonic()


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        payload: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            payload["parameters"] = self.parameters
        return payload


def _bad_request(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {detail}")


@dataclass
class _Upload:
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    file_size: int


@dataclass
class _Failure:
    error_code: int
    description: str
    retry_after: int | None


# --------------------------------------------------------------------------------------------
# Text formatting: parse_mode handling the way Telegram does it (plain text + entities)
# --------------------------------------------------------------------------------------------


class _MarkupError(Exception):
    pass


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


class _TextBuilder:
    """Accumulates output text while tracking its length in UTF-16 code units."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.length += _utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")


def _decode_html_entity(text: str, index: int) -> tuple[str | None, int]:
    match = _HTML_ENTITY_RE.match(text, index)
    if not match:
        return None, index
    name = match.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None, index
        return chr(code), match.end()
    decoded = _HTML_NAMED_ENTITIES.get(name)
    return (decoded, match.end()) if decoded is not None else (None, index)


def _decode_html_entities(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            decoded, end = _decode_html_entity(value, i)
            if decoded is not None:
                out.append(decoded)
                i = end
                continue
        out.append(value[i])
        i += 1
    return "".join(out)


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    out = _TextBuilder()
    entities: list[JSONDict] = []
    stack: list[tuple[str, dict[str, str], int]] = []
    size = len(text)
    i = 0
    while i < size:
        char = text[i]
        if char == "&":
            decoded, end = _decode_html_entity(text, i)
            if decoded is not None:
                out.add(decoded)
                i = end
                continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        start = i
        offset = _byte_offset(text, start)
        if i + 1 < size and text[i + 1] == "/":
            end = text.find(">", i)
            if end == -1:
                raise _MarkupError(f"Unclosed end tag at byte offset {offset}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise _MarkupError(f"Unexpected end tag at byte offset {offset}")
            open_name, attrs, entity_start = stack.pop()
            if name and name != open_name:
                raise _MarkupError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{open_name}>", '
                    f'found "</{name}>"'
                )
            if out.length > entity_start:
                _close_html_entity(entities, open_name, attrs, entity_start, out)
            i = end + 1
            continue
        j = i + 1
        while j < size and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= size:
            raise _MarkupError(f"Unclosed start tag at byte offset {offset}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise _MarkupError(f'Unsupported start tag "{name}" at byte offset {offset}')
        tag_attrs: dict[str, str] = {}
        k = j
        while True:
            while k < size and text[k].isspace():
                k += 1
            if k >= size:
                raise _MarkupError(f'Unclosed start tag "{name}" at byte offset {offset}')
            if text[k] == ">":
                break
            attr_start = k
            while k < size and not text[k].isspace() and text[k] not in "=>/\"'":
                k += 1
            attr = text[attr_start:k].lower()
            if not attr:
                raise _MarkupError(
                    f'Empty attribute name in the tag "{name}" at byte offset {offset}'
                )
            while k < size and text[k].isspace():
                k += 1
            if k >= size:
                raise _MarkupError(f'Unclosed start tag "{name}" at byte offset {offset}')
            if text[k] != "=":
                tag_attrs[attr] = ""
                continue
            k += 1
            while k < size and text[k].isspace():
                k += 1
            if k >= size:
                raise _MarkupError(f'Unclosed start tag "{name}" at byte offset {offset}')
            if text[k] in "\"'":
                close = text.find(text[k], k + 1)
                if close == -1:
                    raise _MarkupError(f'Unclosed start tag "{name}" at byte offset {offset}')
                value = _decode_html_entities(text[k + 1 : close])
                k = close + 1
            else:
                value_start = k
                while k < size and (text[k].isalnum() or text[k] in ".-"):
                    k += 1
                value = text[value_start:k].lower()
                if k < size and not text[k].isspace() and text[k] != ">":
                    raise _MarkupError(
                        f"Unexpected end of name token at byte offset {_byte_offset(text, k)}"
                    )
            tag_attrs[attr] = value
        if name == "span" and tag_attrs.get("class") != "tg-spoiler":
            raise _MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append((name, tag_attrs, out.length))
        i = k + 1
    if stack:
        raise _MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.text(), entities


def _close_html_entity(
    entities: list[JSONDict],
    name: str,
    attrs: dict[str, str],
    start: int,
    out: _TextBuilder,
) -> None:
    entity: JSONDict = {"type": _HTML_TAGS[name], "offset": start, "length": out.length - start}
    if name == "a":
        # without href Telegram uses the link text itself as the URL
        entity["url"] = attrs.get("href") or _text_in_utf16_range(out.text(), start, out.length)
    elif name == "code":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            entity["language"] = language.removeprefix("language-")
    elif name == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == start
            and last["length"] == entity["length"]
        ):
            entities.pop()
            if "language" in last:
                entity["language"] = last["language"]
    elif name == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise _MarkupError("Invalid custom emoji identifier specified")
        entity["custom_emoji_id"] = emoji_id
    entities.append(entity)


def _text_in_utf16_range(text: str, start: int, end: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[start * 2 : end * 2].decode("utf-16-le")


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    out = _TextBuilder()
    entities: list[JSONDict] = []
    # (type, utf16 start, byte offset of the opening marker, extra data)
    stack: list[tuple[str, int, int, JSONDict]] = []
    quote_start: int | None = None
    size = len(text)
    i = 0

    def close_quote() -> None:
        nonlocal quote_start
        if quote_start is not None and out.length > quote_start:
            entities.append(
                {"type": "blockquote", "offset": quote_start, "length": out.length - quote_start}
            )
        quote_start = None

    while i < size:
        char = text[i]
        top = stack[-1][0] if stack else None
        if char == "\\" and i + 1 < size and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        if top in ("code", "pre"):
            if char == "`" and (top == "code" or text.startswith("```", i)):
                kind, start, _, extra = stack.pop()
                if out.length > start:
                    entities.append(
                        {"type": kind, "offset": start, "length": out.length - start, **extra}
                    )
                i += 1 if kind == "code" else 3
                continue
            out.add(char)
            i += 1
            continue
        at_line_start = i == 0 or text[i - 1] == "\n"
        if char == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            close_quote()
        if char not in _MDV2_RESERVED:
            out.add(char)
            i += 1
            continue
        if top is not None:
            closes = {
                "bold": char == "*",
                "italic": char == "_" and not text.startswith("__", i),
                "underline": text.startswith("__", i),
                "strikethrough": char == "~",
                "spoiler": text.startswith("||", i),
                "text_link": char == "]",
                "custom_emoji": char == "]",
            }.get(top, False)
            if closes:
                kind, start, offset, extra = stack.pop()
                i += 2 if kind in ("underline", "spoiler") else 1
                if kind in ("text_link", "custom_emoji"):
                    url, i = _markdown_v2_url(text, i, offset)
                    if url is None:
                        url = _text_in_utf16_range(out.text(), start, out.length)
                    if kind == "text_link":
                        extra = {"url": url}
                    else:
                        extra = {"custom_emoji_id": url.rsplit("id=", 1)[-1]}
                if out.length > start:
                    entities.append(
                        {"type": kind, "offset": start, "length": out.length - start, **extra}
                    )
                continue
        offset = _byte_offset(text, i)
        if char == ">" and at_line_start:
            if quote_start is None:
                quote_start = out.length
            i += 1
            continue
        if char == "_":
            if text.startswith("__", i):
                stack.append(("underline", out.length, offset, {}))
                i += 2
            else:
                stack.append(("italic", out.length, offset, {}))
                i += 1
            continue
        if char == "*":
            stack.append(("bold", out.length, offset, {}))
            i += 1
            continue
        if char == "~":
            stack.append(("strikethrough", out.length, offset, {}))
            i += 1
            continue
        if char == "|" and text.startswith("||", i):
            stack.append(("spoiler", out.length, offset, {}))
            i += 2
            continue
        if char == "[":
            stack.append(("text_link", out.length, offset, {}))
            i += 1
            continue
        if char == "!" and text.startswith("![", i):
            stack.append(("custom_emoji", out.length, offset, {}))
            i += 2
            continue
        if char == "`":
            if text.startswith("```", i):
                i += 3
                pre_extra: JSONDict = {}
                newline = text.find("\n", i)
                closing = text.find("```", i)
                if newline != -1 and (closing == -1 or newline < closing):
                    language = text[i:newline]
                    if language and not any(c.isspace() for c in language):
                        pre_extra["language"] = language
                        i = newline + 1
                    elif not language:
                        i = newline + 1
                stack.append(("pre", out.length, offset, pre_extra))
            else:
                stack.append(("code", out.length, offset, {}))
                i += 1
            continue
        raise _MarkupError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )
    if stack:
        kind, _, offset, _ = stack[-1]
        raise _MarkupError(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {offset}")
    close_quote()
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.text(), entities


def _markdown_v2_url(text: str, index: int, offset: int) -> tuple[str | None, int]:
    if index >= len(text) or text[index] != "(":
        return None, index
    url: list[str] = []
    i = index + 1
    while i < len(text) and text[i] != ")":
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        url.append(text[i])
        i += 1
    if i >= len(text):
        raise _MarkupError(f"Can't find end of a URL at byte offset {offset}")
    return "".join(url), i + 1


def _parse_markdown(text: str) -> tuple[str, list[JSONDict]]:
    """Legacy ``Markdown``: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out = _TextBuilder()
    entities: list[JSONDict] = []
    size = len(text)
    i = 0
    while i < size:
        char = text[i]
        if char == "\\" and i + 1 < size and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            out.add(char)
            i += 1
            continue
        offset = _byte_offset(text, i)
        unclosed = _MarkupError(f"Can't find end of the entity starting at byte offset {offset}")
        start = out.length
        if char == "[":
            close = text.find("]", i + 1)
            if close == -1 or not text.startswith("(", close + 1):
                raise unclosed
            url_end = text.find(")", close + 2)
            if url_end == -1:
                raise unclosed
            out.add(text[i + 1 : close])
            entity: JSONDict = {"type": "text_link", "url": text[close + 2 : url_end]}
            i = url_end + 1
        elif text.startswith("```", i):
            close = text.find("```", i + 3)
            if close == -1:
                raise unclosed
            body = text[i + 3 : close]
            entity = {"type": "pre"}
            first, newline, rest = body.partition("\n")
            if newline and first and not any(c.isspace() for c in first):
                entity["language"] = first
                body = rest
            out.add(body)
            i = close + 3
        else:
            close = text.find(char, i + 1)
            if close == -1:
                raise unclosed
            out.add(text[i + 1 : close])
            entity = {"type": {"*": "bold", "_": "italic", "`": "code"}[char]}
            i = close + 1
        if out.length > start:
            entity.update(offset=start, length=out.length - start)
            entities.append(entity)
    return out.text(), entities


def _strip_with_entities(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram trims surrounding whitespace; keep the entities pointing at the same text."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    new_len = _utf16_len(stripped)
    result: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, new_len)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def _render_text(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
    """Returns what the user sees (plain text) and the entities, as Telegram would store them."""
    if isinstance(entities, list) and entities:
        return _strip_with_entities(text, [dict(e) for e in entities if isinstance(e, dict)])
    mode = str(parse_mode or "").lower()
    parsers: dict[str, Callable[[str], tuple[str, list[JSONDict]]]] = {
        "html": _parse_html,
        "markdownv2": _parse_markdown_v2,
        "markdown": _parse_markdown,
    }
    if mode and mode not in parsers:
        raise _bad_request(f"unsupported parse_mode {parse_mode}")
    if not mode:
        return _strip_with_entities(text, [])
    try:
        plain, found = parsers[mode](text)
    except _MarkupError as exc:
        raise _bad_request(f"can't parse entities: {exc}") from None
    return _strip_with_entities(plain, found)


# --------------------------------------------------------------------------------------------
# Request decoding
# --------------------------------------------------------------------------------------------


def _decode_value(name: str, value: str) -> Any:
    if name == "chat_id":
        try:
            return int(value)
        except ValueError:
            return value
    if name in _STRING_FIELDS:
        return value
    stripped = value.strip()
    if stripped in ("true", "false", "null") or (stripped and stripped[0] in '{["-0123456789'):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


def _decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {name: _decode_value(name, value) for name, value in pairs}


def _normalise_json_params(params: dict[str, Any]) -> dict[str, Any]:
    chat_id = params.get("chat_id")
    if isinstance(chat_id, str):
        with contextlib.suppress(ValueError):
            params["chat_id"] = int(chat_id)
    return params


_DISPOSITION_PARAM_RE = re.compile(r';\s*([a-zA-Z*]+)\s*=\s*"((?:[^"\\]|\\.)*)"')


def _unescape_form_param(value: str) -> str:
    # httpx escapes '"' as %22, '\' as '\\' and control characters as %XX (HTML5 form encoding)
    value = re.sub(r"%([01][0-9A-Fa-f]|22)", lambda m: chr(int(m.group(1), 16)), value)
    return value.replace("\\\\", "\\")


def _parse_content_type(header: str) -> tuple[str, dict[str, str]]:
    main, _, rest = header.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";"):
        key, sep, value = item.strip().partition("=")
        if sep:
            params[key.strip().lower()] = value.strip().strip('"')
    return main.strip().lower(), params


def _parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, Any], dict[str, _Upload]]:
    params: dict[str, Any] = {}
    uploads: dict[str, _Upload] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        raw_headers, _, content = chunk.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in raw_headers.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        attrs = {
            key.lower(): _unescape_form_param(value)
            for key, value in _DISPOSITION_PARAM_RE.findall(disposition)
        }
        name = attrs.get("name")
        if name is None:
            continue
        if "filename" in attrs:
            uploads[name] = _Upload(attrs["filename"], content, headers.get("content-type"))
        else:
            params[name] = _decode_value(name, content.decode("utf-8", "replace"))
    return params, uploads


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _sniff_mime(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF"):
        return "application/pdf"
    return None


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF or JPEG header, if recognisable."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
            width, height = struct.unpack("<HH", data[6:10])
            return int(width), int(height)
        if data.startswith(b"\xff\xd8"):
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                    i += 1 if marker == 0xFF else 2
                    continue
                (length,) = struct.unpack(">H", data[i + 2 : i + 4])
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                    return int(width), int(height)
                i += 2 + length
    except struct.error:
        return None
    return None


def _photo_boxes(width: int, height: int) -> list[tuple[int, int]]:
    """Thumbnail dimensions (90/320/800 px boxes) smaller than the photo, smallest first."""
    longest = max(width, height, 1)
    sizes: list[tuple[int, int]] = []
    for box in (90, 320, 800):
        if longest > box:
            scale = box / longest
            sizes.append((max(1, round(width * scale)), max(1, round(height * scale))))
    return sizes


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive connections would otherwise block server_close()

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client went away (e.g. PTB cancelled a long poll on shutdown): not worth a word.
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # includes ConnectionError and TimeoutError
            return
        with self.fake._lock:
            self.fake.server_errors.append(f"connection from {client_address}: {error!r}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are dropped after this many seconds
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server_version = "FakeTelegram/1.0"

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        status, content_type, payload = self.server.fake._handle_http(
            self.command, self.path, self.headers.get("Content-Type", ""), body
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _json_response(status: int, payload: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(payload).encode("utf-8")


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """A fake Telegram Bot API server on 127.0.0.1 (see the module docstring)."""

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

        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._update_ids = itertools.count(first_update_id)
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_numbers = itertools.count(0)
        self._last_message_id: dict[int | str, int] = {}
        self._chat_names: dict[int | str, str] = {}
        self._bot_messages: dict[int | str, dict[int, JSONDict]] = {}
        self._user_messages: dict[int | str, dict[int, JSONDict]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._methods: dict[str, tuple[str, Callable[[JSONDict, dict[str, _Upload]], Any]]] = {}
        for name, handler in self._handlers().items():
            self._methods[name.lower()] = (name, handler)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._server is not None:
            return
        self._stopping.clear()
        server = _Server(self)
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
        return self._store_file(data, file_name=file_name, mime_type=mime_type).file_id

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str = "Too Many Requests: retry after 1",
        retry_after: int | None = 1,
    ) -> None:
        """Makes the next call to ``method`` fail (queued: call it twice to fail twice).

        ``parameters.retry_after`` is only sent with error code 429, as Telegram does; PTB turns
        any response that carries it into ``RetryAfter`` whatever the status code.
        """
        failure = _Failure(error_code, description, retry_after if error_code == 429 else None)
        with self._lock:
            self._failures.setdefault(method.lower(), deque()).append(failure)

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
            stored = self._require_file(file_id)
            photo = self._photo_sizes(stored, width, height)
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
            stored = self._require_file(file_id)
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
        self, *, chat_id: int, user_id: int, text: str, first_name: str = "Ana"
    ) -> dict[str, Any]:
        content: JSONDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        with self._lock:
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

    def _handle_http(
        self, http_method: str, raw_path: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        try:
            return self._route(http_method, raw_path, content_type, body)
        except _ApiError as exc:
            return _json_response(exc.code, exc.body())
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: answer 500, remember it
            with self._lock:
                self.server_errors.append(f"{http_method} {raw_path}: {exc!r}")
            return _json_response(
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
                raise _ApiError(401, "Unauthorized")
            with self._lock:
                stored = self._files_by_path.get(file_path)
            if stored is None:
                raise _ApiError(404, "Not Found")
            return 200, stored.mime_type or "application/octet-stream", stored.data
        if not path.startswith("/bot"):
            raise _ApiError(404, "Not Found")
        token, _, method = path[len("/bot") :].partition("/")
        if token != self.token:
            raise _ApiError(401, "Unauthorized")

        params, uploads = self._decode_request(split.query, content_type, body)
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
            queue = self._failures.get(method.lower())
            failure = queue.popleft() if queue else None
        if failure is not None:
            error = _ApiError(
                failure.error_code,
                failure.description,
                {"retry_after": failure.retry_after} if failure.retry_after is not None else None,
            )
            return _json_response(failure.error_code, error.body())
        if entry is None:
            raise _ApiError(404, "Not Found")
        result = entry[1](params, uploads)
        return _json_response(200, {"ok": True, "result": result})

    def _decode_request(
        self, query: str, content_type: str, body: bytes
    ) -> tuple[dict[str, Any], dict[str, _Upload]]:
        params = _decode_form(parse_qsl(query, keep_blank_values=True))
        uploads: dict[str, _Upload] = {}
        kind, ct_params = _parse_content_type(content_type)
        if kind == "multipart/form-data" and "boundary" in ct_params:
            form, uploads = _parse_multipart(body, ct_params["boundary"])
            params.update(form)
        elif kind == "application/json" and body.strip():
            try:
                decoded = json.loads(body)
            except ValueError:
                raise _bad_request("can't parse JSON object") from None
            if isinstance(decoded, dict):
                params.update(_normalise_json_params(decoded))
        elif body:
            text = body.decode("utf-8", "replace")
            params.update(_decode_form(parse_qsl(text, keep_blank_values=True)))
        return params, uploads

    # ---------------------------------------------------------------- state helpers

    def _handlers(self) -> dict[str, Callable[[JSONDict, dict[str, _Upload]], Any]]:
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

    @staticmethod
    def _user(user_id: int, first_name: str) -> JSONDict:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}

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

    def _store_file(
        self,
        data: bytes,
        *,
        file_name: str | None,
        mime_type: str | None,
        as_photo: bool = False,
        size: int | None = None,
    ) -> _StoredFile:
        with self._lock:
            number = next(self._file_numbers)
            mime = mime_type
            if mime is None and file_name:
                mime = mimetypes.guess_type(file_name, strict=False)[0]
            if mime is None:
                mime = _sniff_mime(data)
            if as_photo or (file_name is None and mime is not None and mime.startswith("image/")):
                file_path = f"photos/file_{number}.jpg"
            else:
                suffix = PurePosixPath(file_name).suffix if file_name else ""
                if not suffix and mime:
                    suffix = mimetypes.guess_extension(mime, strict=False) or ""
                file_path = f"documents/file_{number}{suffix}"
            stored = _StoredFile(
                file_id=f"BQACAgIAAxkBAAI{number:05d}{secrets.token_hex(8)}",
                file_unique_id=f"AgAD{number:05d}{secrets.token_hex(3)}",
                data=data,
                file_name=file_name,
                mime_type=mime,
                file_path=file_path,
                file_size=len(data) if size is None else size,
            )
            self._files[stored.file_id] = stored
            self._files_by_path[file_path] = stored
            return stored

    def _require_file(self, file_id: str) -> _StoredFile:
        stored = self._files.get(file_id)
        if stored is None:
            raise ValueError(f"unknown file_id {file_id!r}: call add_file() first")
        return stored

    def _photo_sizes(self, stored: _StoredFile, width: int, height: int) -> list[JSONDict]:
        sizes: list[JSONDict] = []
        area = max(width * height, 1)
        for thumb_w, thumb_h in _photo_boxes(width, height):
            estimate = max(1, stored.file_size * thumb_w * thumb_h // area)
            thumb = self._store_file(
                stored.data, file_name=None, mime_type="image/jpeg", as_photo=True, size=estimate
            )
            sizes.append(
                {
                    "file_id": thumb.file_id,
                    "file_unique_id": thumb.file_unique_id,
                    "file_size": thumb.file_size,
                    "width": thumb_w,
                    "height": thumb_h,
                }
            )
        sizes.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size,
                "width": width,
                "height": height,
            }
        )
        return sizes

    # ---------------------------------------------------------------- validation helpers

    @staticmethod
    def _chat_id(params: JSONDict) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _bad_request("chat not found")
        return chat_id

    @staticmethod
    def _message_id(params: JSONDict) -> int:
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise _bad_request("message identifier is not specified")
        return message_id

    @staticmethod
    def _reply_markup(params: JSONDict) -> JSONDict | None:
        """Validates reply_markup; returns it if it is an inline keyboard (echoed in Message)."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        keyboard = markup.get("inline_keyboard")
        if keyboard is None:
            return None
        if not isinstance(keyboard, list) or not all(isinstance(r, list) for r in keyboard):
            raise _bad_request(
                'can\'t parse inline keyboard button: field "inline_keyboard" '
                "must be an Array of Arrays"
            )
        for row in keyboard:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request("can't parse inline keyboard button: Text is not specified")
                if not button["text"]:
                    raise _bad_request("BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None:
                    encoded = str(data).encode("utf-8")
                    if not 1 <= len(encoded) <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad_request("BUTTON_DATA_INVALID")
                elif len(button) == 1:
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )
        return markup

    @staticmethod
    def _rendered_text(params: JSONDict) -> tuple[str, list[JSONDict]]:
        raw = params.get("text")
        if raw is None or raw == "":
            raise _bad_request("message text is empty")
        text, entities = _render_text(str(raw), params.get("parse_mode"), params.get("entities"))
        if not text:
            raise _bad_request("message text is empty")
        if _utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return text, entities

    @staticmethod
    def _rendered_caption(
        caption: Any, parse_mode: Any, entities: Any
    ) -> tuple[str, list[JSONDict]] | None:
        if caption is None or caption == "":
            return None
        text, found = _render_text(str(caption), parse_mode, entities)
        if _utf16_len(text) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return (text, found) if text else None

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
            original = self._bot_messages.get(chat_id, {}).get(reply_to) or self._user_messages.get(
                chat_id, {}
            ).get(reply_to)
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
        markup = self._reply_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        self._bot_messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    @staticmethod
    def _with_caption(content: JSONDict, caption: tuple[str, list[JSONDict]] | None) -> JSONDict:
        if caption is not None:
            content["caption"] = caption[0]
            if caption[1]:
                content["caption_entities"] = caption[1]
        return content

    def _editable(self, params: JSONDict) -> JSONDict | None:
        """The stored message an edit refers to; None for inline messages."""
        if params.get("inline_message_id"):
            return None
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        message = self._bot_messages.get(chat_id, {}).get(message_id)
        if message is None:
            if message_id in self._user_messages.get(chat_id, {}):
                raise _bad_request("message can't be edited")
            raise _bad_request("message to edit not found")
        return message

    def _apply_edit(self, message: JSONDict, changes: JSONDict, params: JSONDict) -> JSONDict:
        markup = self._reply_markup(params)
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
            raise _ApiError(400, _NOT_MODIFIED)
        updated["edit_date"] = int(time.time())
        chat_id = message["chat"]["id"]
        self._bot_messages[chat_id][message["message_id"]] = updated
        return copy.deepcopy(updated)

    # ---------------------------------------------------------------- method handlers

    def _send_message(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat_id = self._chat_id(params)
        text, entities = self._rendered_text(params)
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        with self._lock:
            return copy.deepcopy(self._new_bot_message(chat_id, params, content))

    def _edit_message_text(self, params: JSONDict, uploads: dict[str, _Upload]) -> Any:
        text, entities = self._rendered_text(params)
        self._reply_markup(params)
        with self._lock:
            message = self._editable(params)
            if message is None:
                return True
            if "text" not in message:
                raise _bad_request("there is no text in the message to edit")
            changes: JSONDict = {"text": text, "entities": entities or None}
            return self._apply_edit(message, changes, params)

    def _edit_message_caption(self, params: JSONDict, uploads: dict[str, _Upload]) -> Any:
        caption = self._rendered_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        self._reply_markup(params)
        with self._lock:
            message = self._editable(params)
            if message is None:
                return True
            if "text" in message:
                raise _bad_request("there is no caption in the message to edit")
            changes: JSONDict = {
                "caption": caption[0] if caption else None,
                "caption_entities": (caption[1] or None) if caption else None,
            }
            return self._apply_edit(message, changes, params)

    def _edit_message_reply_markup(self, params: JSONDict, uploads: dict[str, _Upload]) -> Any:
        self._reply_markup(params)
        with self._lock:
            message = self._editable(params)
            if message is None:
                return True
            return self._apply_edit(message, {}, params)

    def _delete_message(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        with self._lock:
            for store in (self._bot_messages, self._user_messages):
                if store.get(chat_id, {}).pop(message_id, None) is not None:
                    return True
        raise _bad_request("message to delete not found")

    def _delete_messages(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        chat_id = self._chat_id(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise _bad_request("message identifiers are not specified")
        with self._lock:
            for message_id in ids:
                for store in (self._bot_messages, self._user_messages):
                    store.get(chat_id, {}).pop(message_id, None)
        return True

    def _answer_callback_query(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        with self._lock:
            if self._callback_queries.get(query_id) is not False:
                raise _ApiError(400, _QUERY_INVALID)
            self._callback_queries[query_id] = True
        return True

    def _send_chat_action(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        self._chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _resolve_media(
        self, value: Any, field_name: str, uploads: dict[str, _Upload], *, as_photo: bool
    ) -> _StoredFile:
        """An uploaded part, an attach:// reference, a known file_id or an HTTP URL."""
        upload: _Upload | None = None
        if value is None:
            upload = uploads.get(field_name)
            if upload is None:
                raise _bad_request(f"there is no {field_name} in the request")
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad_request("can't parse InputMedia: media not found")
        if upload is not None:
            return self._store_file(
                upload.data,
                file_name=None if as_photo else upload.filename,
                mime_type=upload.content_type if not as_photo else "image/jpeg",
                as_photo=as_photo,
            )
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = PurePosixPath(urlsplit(value).path).name or None
            return self._store_file(b"", file_name=name, mime_type=None, as_photo=as_photo)
        stored = self._files.get(str(value))
        if stored is None:
            raise _ApiError(400, _WRONG_FILE)
        return stored

    def _photo_content(self, stored: _StoredFile) -> JSONDict:
        width, height = _image_size(stored.data) or (1280, 960)
        scale = min(1.0, 1280 / max(width, height, 1))  # Telegram recompresses to <= 1280 px
        return {
            "photo": self._photo_sizes(
                stored, max(1, round(width * scale)), max(1, round(height * scale))
            )
        }

    @staticmethod
    def _document_content(stored: _StoredFile, upload_name: str | None) -> JSONDict:
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if stored.file_name or upload_name:
            document["file_name"] = stored.file_name or upload_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return {"document": document}

    def _send_photo(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat_id = self._chat_id(params)
        caption = self._rendered_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        with self._lock:
            stored = self._resolve_media(params.get("photo"), "photo", uploads, as_photo=True)
            content = self._with_caption(self._photo_content(stored), caption)
            return copy.deepcopy(self._new_bot_message(chat_id, params, content))

    def _send_document(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat_id = self._chat_id(params)
        caption = self._rendered_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        with self._lock:
            stored = self._resolve_media(
                params.get("document"), "document", uploads, as_photo=False
            )
            content = self._with_caption(self._document_content(stored, None), caption)
            return copy.deepcopy(self._new_bot_message(chat_id, params, content))

    def _send_media_group(self, params: JSONDict, uploads: dict[str, _Upload]) -> list[JSONDict]:
        chat_id = self._chat_id(params)
        media = params.get("media")
        if not isinstance(media, list) or not media:
            raise _bad_request("media is empty")
        if len(media) > 10:
            raise _bad_request("too many messages to send as an album")
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
                    raise _bad_request("can't parse InputMedia: unsupported media type")
                caption = self._rendered_caption(
                    item.get("caption"), item.get("parse_mode"), item.get("caption_entities")
                )
                kind = item["type"]
                stored = self._resolve_media(
                    item.get("media"), kind, uploads, as_photo=kind == "photo"
                )
                if kind == "photo":
                    content = self._photo_content(stored)
                elif kind == "document":
                    content = self._document_content(stored, None)
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
                prepared.append(self._with_caption(content, caption))
            reply_params = {k: v for k, v in params.items() if k != "reply_markup"}
            messages = [self._new_bot_message(chat_id, reply_params, c) for c in prepared]
            return copy.deepcopy(messages)

    def _get_file(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        with self._lock:
            stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def _set_webhook(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        url = str(params.get("url", ""))
        with self._lock:
            if params.get("drop_pending_updates") is True:
                self.pending_updates.clear()
            self.webhook = dict(params) if url else None
        return True

    def _delete_webhook(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        with self._lock:
            if params.get("drop_pending_updates") is True:
                self.pending_updates.clear()
            self.webhook = None
        return True

    def _get_webhook_info(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
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

    def _set_my_commands(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise _bad_request("BOT_COMMAND_INVALID")
        with self._lock:
            self.commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: JSONDict, uploads: dict[str, _Upload]) -> list[Any]:
        with self._lock:
            return list(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        with self._lock:
            self.commands.pop(self._commands_key(params), None)
        return True

    def _get_chat(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat_id = self._chat_id(params)
        with self._lock:
            return {**self._chat(chat_id), "accent_color_id": 0, "max_reaction_count": 11}

    def _get_updates(self, params: JSONDict, uploads: dict[str, _Upload]) -> list[JSONDict]:
        with self._lock:
            if self.webhook:
                raise _ApiError(
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
