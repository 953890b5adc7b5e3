"""Shared ledgers of group chats: members, shares, balances and settlements."""
