"""A FastAPI app; the ASGI object is `fastapi_app.main:app`."""
