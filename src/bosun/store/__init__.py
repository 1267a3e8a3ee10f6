"""The store layer: one protocol, SQLite and PostgreSQL backends, schema and named queries."""
