"""The rules extractor, one module per part of a receipt, composed by ``extractor.RulesExtractor``.

``values`` parses single values (an amount, a date, a currency code), for the rules and for
readers of values already isolated: Textract's fields and what a user types to correct a receipt.
"""
