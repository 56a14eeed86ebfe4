"""Queries, one module per aggregate: the appliance's services call these inside store.read/write
so that SQL and ORM code stays in storage/ (STYLE B.3)."""
