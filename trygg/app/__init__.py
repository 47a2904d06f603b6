"""Use cases: one module per thing a user or a service does, between the commands and the adapters."""
