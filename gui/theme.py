"""The operator look: a large base font, big targets, high contrast, one accent colour.

Operators read this screen from a standing position at a factory desk, often with gloves on, so
the base font is 13 pt, buttons are at least 40 px high and text meets WCAG AA contrast on its
background. Widgets opt into roles with ``setObjectName`` / ``setProperty("role", ...)``.
"""

from __future__ import annotations

import logging

from gui.qt import QApplication, QFont, QWidget

LOGGER = logging.getLogger(__name__)

BASE_POINT_SIZE = 13
ACCENT = "#1f5fa8"
ACCENT_DARK = "#174a85"
NAV_BG = "#1c2733"
TEXT = "#1b1f24"
MUTED = "#4a5561"
ERROR = "#a3001b"
OK = "#1e6b2e"
WARN = "#8a5200"
PAGE_BG = "#f3f5f7"
PROGRESS = "#9cbde3"  # light enough for dark text over it (the percentage sits on the bar)

STYLESHEET = f"""
QWidget {{ color: {TEXT}; }}
QMainWindow, QDialog, QWizard {{ background: {PAGE_BG}; }}
QLabel[role="title"] {{ font-size: 20pt; font-weight: 600; }}
QLabel[role="section"] {{ font-size: 15pt; font-weight: 600; margin-top: 12px; }}
QLabel[role="help"] {{ color: {MUTED}; font-size: 11pt; }}
QLabel[role="error"] {{ color: {ERROR}; font-weight: 600; }}
QLabel[role="ok"] {{ color: {OK}; font-weight: 600; }}
QLabel[role="warn"] {{ color: {WARN}; font-size: 11pt; }}
QLabel[role="caption"] {{ color: {MUTED}; font-size: 11pt; font-weight: 600; }}
QLabel[role="big"] {{ font-size: 16pt; font-weight: 600; }}
QLabel[role="empty"] {{ color: {MUTED}; font-size: 13pt; padding: 24px; }}
QPushButton {{ min-height: 40px; padding: 4px 18px; border: 1px solid #8a96a3; border-radius: 6px;
              background: #ffffff; }}
QPushButton:hover {{ background: #e8eef5; }}
QPushButton:focus {{ border: 2px solid {ACCENT}; }}
QPushButton:disabled {{ color: #8c959f; background: #eceff2; border-color: #c5ccd3; }}
QPushButton[role="primary"] {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT_DARK};
                               font-weight: 600; }}
QPushButton[role="primary"]:hover {{ background: {ACCENT_DARK}; }}
QPushButton[role="primary"]:disabled {{ background: #9fb4cc; color: #f4f6f8; }}
QPushButton:checked {{ background: #d6e4f5; border: 2px solid {ACCENT}; }}
QPushButton[role="danger"] {{ color: {ERROR}; border-color: {ERROR}; }}
QPushButton[role="danger"]:disabled {{ color: #8c959f; border-color: #c5ccd3; }}
QLineEdit {{ min-height: 36px; padding: 2px 8px; border: 1px solid #8a96a3; border-radius: 4px;
              background: white; }}
QLineEdit:focus {{ border: 2px solid {ACCENT}; }}
QLineEdit[invalid="true"] {{ border: 2px solid {ERROR}; }}
QFrame#nav {{ background: {NAV_BG}; }}
QFrame#nav QLabel {{ color: #dfe7ef; }}
QScrollArea#navScroll, QWidget#navButtons {{ background: transparent; border: none; }}
QFrame#nav QPushButton {{ color: #eef3f8; background: transparent; border: none; border-radius: 0;
                         text-align: left; padding: 10px 20px; min-height: 52px; font-size: 14pt; }}
QFrame#nav QPushButton:hover {{ background: #2a3a4b; }}
QFrame#nav QPushButton:checked {{ background: {ACCENT}; font-weight: 600; }}
QFrame#nav QPushButton:focus {{ border-left: 4px solid #ffd24a; }}
QFrame#nav QPushButton:disabled {{ color: #6f7f8f; }}
QFrame[role="card"] {{ background: white; border: 1px solid #d0d7de; border-radius: 8px; }}
QFrame#statusBar {{ background: #e4e9ee; border-top: 1px solid #b9c3cc; }}
QFrame#statusBar QLabel[role="caption"] {{ color: {MUTED}; font-size: 10pt; }}
QFrame#statusBar QLabel[role="value"] {{ font-size: 12pt; font-weight: 600; }}
QFrame#statusBar QLabel[role="value"][level="warn"] {{ color: {ERROR}; }}
QFrame#statusBar QLabel[role="value"][stale="true"] {{ color: #7d8790; }}
QTableView {{ background: white; alternate-background-color: #f2f5f8; gridline-color: #dde3e9;
              selection-background-color: #cfe0f3; selection-color: {TEXT}; }}
QHeaderView::section {{ background: #e4e9ee; padding: 6px; border: none;
                        border-right: 1px solid #cbd3db; font-weight: 600; }}
QProgressBar {{ min-height: 26px; border: 1px solid #8a96a3; border-radius: 4px; text-align: center;
                background: white; }}
QProgressBar::chunk {{ background: {PROGRESS}; }}
QProgressBar[level="error"]::chunk {{ background: #e8a3ad; }}
QLineEdit#claimSerial {{ font-size: 20pt; min-height: 52px; padding: 4px 12px; }}
QTabWidget::pane {{ border: 1px solid #d0d7de; background: white; }}
QTabBar::tab {{ min-height: 34px; padding: 4px 16px; }}
QListWidget {{ background: white; border: 1px solid #d0d7de; }}
QListWidget#liveFeed::item {{ padding: 5px 8px; border-bottom: 1px solid #eef1f4; }}
QCheckBox {{ spacing: 10px; }}
QCheckBox::indicator {{ width: 22px; height: 22px; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fonts and the style sheet; called once, before the first window is built."""
    app.setStyle("Fusion")  # the same look on Windows, macOS and Linux, so manuals' screenshots match
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)
    LOGGER.debug("theme applied (%s pt)", BASE_POINT_SIZE)


def set_role(widget: QWidget, role: str, name: str = "role") -> None:
    """Tag a widget for the style sheet and re-polish it so a change shows at once."""
    widget.setProperty(name, role)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.updateGeometry()  # a rule may change the size (borders, min-height): layouts must ask again
