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

The parts: ``server`` (the fake itself: routing, the Bot API methods, the test-side helpers),
``wire`` (how PTB encodes requests, and Telegram's checks on their parameters), ``formatting``
(``parse_mode`` HTML/Markdown to plain text plus entities), ``files`` (stored files, photo
sizes, downloads), ``transport`` (the HTTP server) and ``errors`` (Bot API error responses).
"""

from devstack.telegram.server import FakeTelegram
from devstack.telegram.wire import SentCall

__all__ = ["FakeTelegram", "SentCall"]
