"""Use cases shared by the HTTP API and the GUI. Services return frozen records, never ORM rows."""
