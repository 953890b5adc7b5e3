"""Who is calling the client API (/api/v1): a Telegram Mini App's initData, or a personal token."""
