"""The development stack: test doubles and local runs that the product never ships.

``devstack.telegram`` is a fake Telegram Bot API server, ``devstack.stack`` the embedded local
stack (moto server, database, API with the bot, worker) and ``devstack.demo`` the ``receiptsnap
demo`` command. Installed with the ``local`` extra (``pip install -e '.[dev,local]'``); the
production image copies none of it.
"""
