"""The Dash app, without its layout: board.index gives it one."""

from __future__ import annotations

from dash import Dash

app = Dash(__name__, suppress_callback_exceptions=True)
