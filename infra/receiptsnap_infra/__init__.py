"""The ReceiptSnap CDK app's constructs (see ../app.py)."""
