"""Every amount in the ledger's home currency: the European Central Bank's euro foreign exchange
reference rates (``rates``: the port and the conversion), where they come from (``ecb``: ECB's
published files, the history shipped in a package, the refresher; ``repository``: the rates
table), and the home amounts kept on receipts (``service``)."""
