"""What summaries show for a receipt without a currency, category or merchant (the queries
group such receipts under these names)."""

from __future__ import annotations

NO_CURRENCY = "???"
UNCATEGORISED = "uncategorised"  # the category shown for receipts without one
UNKNOWN_MERCHANT = "Unknown merchant"  # the merchant shown for receipts without one
