"""The bot's texts in languages other than English (``bot/texts.py``, the source): one module
per language, named by its Telegram language code, with every name of the source."""
