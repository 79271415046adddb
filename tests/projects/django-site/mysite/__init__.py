"""A minimal Django project."""
