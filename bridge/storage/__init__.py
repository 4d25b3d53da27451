"""Storage: the SQL database (``db``, with its Alembic ``migrations``), the ephemeral store for
short-lived state (``ephemeral``) and the encryption of secrets at rest (``crypto``)."""
