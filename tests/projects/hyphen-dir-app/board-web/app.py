from flask import Flask, render_template

from views.board import NOTICE

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return render_template("index.html", notice=NOTICE)


if __name__ == "__main__":
    app.run(debug=True)
