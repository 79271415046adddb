"""The site: a Flask app at the project's root, outside the package Poetry builds."""

from __future__ import annotations

import logging

from flask import Flask

from routes.pages import pages

# Sites log beside their code, into a directory the repository keeps empty for it.
handler = logging.FileHandler("logs/site.log")
logging.getLogger("notes").addHandler(handler)
logging.getLogger("notes").setLevel(logging.INFO)

app = Flask(__name__)
app.register_blueprint(pages)
logging.getLogger("notes").info("started")
