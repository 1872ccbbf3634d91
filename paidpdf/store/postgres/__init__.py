"""The scale-out backend: the same documents, views and units kept in one PostgreSQL database.

`backend.PgStore` is the entry point (schema, advisory-locked units, what the database holds); `documents`
has its views and units over SQL, `release` ends finished views' transactions off the reader's thread.
"""
