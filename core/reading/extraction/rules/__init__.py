"""The rules extractor, one module per part of a receipt, composed by ``extractor.RulesExtractor``.

``values`` parses single values (an amount, a date, a currency code) for the other readers too:
Textract's fields, Bedrock's answers and what a user types to correct a receipt.
"""
