"""Logs and metrics, the same in every deployable: JSON lines with a correlation id, and
CloudWatch embedded metric format (EMF) documents."""
