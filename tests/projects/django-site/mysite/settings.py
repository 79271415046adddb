"""Settings for mysite: what a container needs, read from the environment."""

import os
from pathlib import Path

# The package directory: the sources in development, site-packages in production.
PACKAGE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-quatrain-test-project-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "").lower() in ("1", "true", "yes", "on")
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["django.contrib.staticfiles"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"

# No database: the site serves no models.
DATABASES = {}

USE_TZ = True

STATIC_URL = "static/"
# The package's own static files (mysite/static/mysite/...), shipped inside the wheel.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Where collectstatic gathers them; outside the sources and the venv.
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", "/opt/static")
