"""One module per main screen; the main window stacks them (STYLE B.7)."""
