"""The Bot API on the wire: how python-telegram-bot (v22) encodes requests, decoded here, and the
checks Telegram makes on their parameters (chat and message ids, texts, captions, inline keyboards).

* Every method is ``POST {base_url}{token}/{method}``.  Without uploads the body is
  ``application/x-www-form-urlencoded``; every value is a string: plain strings are sent as-is and
  everything else (ints, bools, dicts, lists) is JSON-encoded (``chat_id=42``,
  ``reply_markup={"inline_keyboard": ...}``).  A string ``"42"`` and an int ``42`` are therefore
  indistinguishable on the wire, so decoding is per field (see ``STRING_FIELDS``).
* With uploads the body is ``multipart/form-data``: the other parameters are plain form parts, a
  single file is the part named after the parameter (``photo``, ``document``), and media-group
  files are parts named ``attached<hex>`` referenced from the JSON as ``attach://attached<hex>``.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from devstack.telegram.errors import JSONDict, bad_request
from devstack.telegram.formatting import render_text, utf16_len

MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units, after entity parsing
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_PLACEHOLDER = 64  # ForceReply.input_field_placeholder: 1-64 characters

# Parameters whose value is always a string, so "42" must not become 42 and "true" not True.
STRING_FIELDS = frozenset(
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
CHAT_ACTIONS = frozenset(
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


@dataclass
class SentCall:
    """One request the bot made."""

    method: str  # e.g. "sendMessage"
    params: dict[str, Any]  # decoded: JSON values parsed, chat_id -> int where numeric
    files: dict[str, tuple[str, bytes]]  # multipart field -> (filename, bytes)
    at: float  # time.monotonic()


@dataclass
class Upload:
    filename: str
    data: bytes
    content_type: str | None


def _decode_value(name: str, value: str) -> Any:
    if name == "chat_id":
        try:
            return int(value)
        except ValueError:
            return value
    if name in STRING_FIELDS:
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


def _parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, Any], dict[str, Upload]]:
    params: dict[str, Any] = {}
    uploads: dict[str, Upload] = {}
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
            uploads[name] = Upload(attrs["filename"], content, headers.get("content-type"))
        else:
            params[name] = _decode_value(name, content.decode("utf-8", "replace"))
    return params, uploads


def decode_request(
    query: str, content_type: str, body: bytes
) -> tuple[dict[str, Any], dict[str, Upload]]:
    params = _decode_form(parse_qsl(query, keep_blank_values=True))
    uploads: dict[str, Upload] = {}
    kind, ct_params = _parse_content_type(content_type)
    if kind == "multipart/form-data" and "boundary" in ct_params:
        form, uploads = _parse_multipart(body, ct_params["boundary"])
        params.update(form)
    elif kind == "application/json" and body.strip():
        try:
            decoded = json.loads(body)
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if isinstance(decoded, dict):
            params.update(_normalise_json_params(decoded))
    elif body:
        text = body.decode("utf-8", "replace")
        params.update(_decode_form(parse_qsl(text, keep_blank_values=True)))
    return params, uploads


def chat_id(params: JSONDict) -> int:
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise bad_request("chat_id is empty")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        raise bad_request("chat not found")
    return chat_id


def message_id(params: JSONDict) -> int:
    message_id = params.get("message_id")
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise bad_request("message identifier is not specified")
    return message_id


def reply_markup(params: JSONDict) -> JSONDict | None:
    """Validates reply_markup; returns it if it is an inline keyboard (echoed in Message)."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "force_reply" in markup:  # not echoed in the Message (only inline keyboards are)
        placeholder = markup.get("input_field_placeholder")
        if markup["force_reply"] is not True or (
            placeholder is not None
            and not (isinstance(placeholder, str) and 1 <= len(placeholder) <= MAX_PLACEHOLDER)
        ):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return None
    keyboard = markup.get("inline_keyboard")
    if keyboard is None:
        return None
    if not isinstance(keyboard, list) or not all(isinstance(r, list) for r in keyboard):
        raise bad_request(
            'can\'t parse inline keyboard button: field "inline_keyboard" '
            "must be an Array of Arrays"
        )
    for row in keyboard:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text is not specified")
            if not button["text"]:
                raise bad_request("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None:
                encoded = str(data).encode("utf-8")
                if not 1 <= len(encoded) <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
            elif len(button) == 1:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
    return markup


def rendered_text(params: JSONDict) -> tuple[str, list[JSONDict]]:
    raw = params.get("text")
    if raw is None or raw == "":
        raise bad_request("message text is empty")
    text, entities = render_text(str(raw), params.get("parse_mode"), params.get("entities"))
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_MESSAGE_LENGTH:
        raise bad_request("message is too long")
    return text, entities


def rendered_caption(
    caption: Any, parse_mode: Any, entities: Any
) -> tuple[str, list[JSONDict]] | None:
    if caption is None or caption == "":
        return None
    text, found = render_text(str(caption), parse_mode, entities)
    if utf16_len(text) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return (text, found) if text else None


def with_caption(content: JSONDict, caption: tuple[str, list[JSONDict]] | None) -> JSONDict:
    if caption is not None:
        content["caption"] = caption[0]
        if caption[1]:
            content["caption_entities"] = caption[1]
    return content
