"""One dialog per module, each opened by its ``show_<name>()`` (STYLE B.7)."""
