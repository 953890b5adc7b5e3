"""Message text the way Telegram reads it: ``parse_mode`` (HTML, MarkdownV2, Markdown) or explicit
entities turned into plain text plus entities, with Telegram's own parse errors.

Lengths and offsets are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from devstack.telegram.errors import JSONDict, bad_request


class _MarkupError(Exception):
    pass


def utf16_len(text: str) -> int:
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
        self.length += utf16_len(chunk)

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
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    new_len = utf16_len(stripped)
    result: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, new_len)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def render_text(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
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
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    if not mode:
        return _strip_with_entities(text, [])
    try:
        plain, found = parsers[mode](text)
    except _MarkupError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    return _strip_with_entities(plain, found)
