"""The site: the layout and a callback for the app made in board.app."""

from __future__ import annotations

from dash import Input, Output, html

from board.app import app

GREETING = "hello from board"

app.layout = html.Div([html.H1(GREETING, id="title"), html.Div(id="echo")])


@app.callback(Output("echo", "children"), Input("title", "children"))
def echo(title: str) -> str:
    return title.upper()


if __name__ == "__main__":
    app.run(debug=True)
