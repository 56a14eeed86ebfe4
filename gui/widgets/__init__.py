"""Reusable widgets: the status bar, the stream plot, the table progress bar."""
