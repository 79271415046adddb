"""A Flask app created at import time, in a submodule rather than the package itself."""
