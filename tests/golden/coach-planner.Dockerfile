# Dockerfile for coach-planner, by quatrain 0.1.0: edit it freely (quatrain then leaves it alone).
#   docker build .                        -> production (staging, build, production)
#   docker build --target development .   -> development (staging, development)
# Needs BuildKit (the default since Docker 23; DOCKER_BUILDKIT=1 before that).

# The pins, all overridable with --build-arg NAME=VALUE.
ARG PYTHON_VERSION=3.15
ARG DEBIAN_RELEASE=trixie
ARG POETRY_VERSION=2.5.1
ARG POETRY_PLUGIN_EXPORT_VERSION=1.10.1
ARG UV_VERSION=0.13.9

# staging: uv and Poetry, pinned, each out of the project's way; the manifest and lock.
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS staging
ARG POETRY_VERSION
ARG POETRY_PLUGIN_EXPORT_VERSION
ARG UV_VERSION
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    POETRY_HOME=/opt/poetry \
    POETRY_CACHE_DIR=/var/cache/pypoetry \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
# uv installs Poetry and the locked dependencies, several times faster than pip and as strict
# about hashes. Poetry stays out of /opt/venv, the project's environment that production copies.
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=cache,target=/root/.cache/uv \
    python -m pip install --target /opt/uv "uv==$UV_VERSION" \
    && ln -s /opt/uv/bin/uv /usr/local/bin/uv \
    && python -m venv --without-pip "$POETRY_HOME" \
    && uv pip install --python "$POETRY_HOME/bin/python" --compile-bytecode \
        "poetry==$POETRY_VERSION" "poetry-plugin-export==$POETRY_PLUGIN_EXPORT_VERSION" \
    && ln -s "$POETRY_HOME/bin/poetry" /usr/local/bin/poetry
WORKDIR /app
COPY pyproject.toml poetry.lock ./

# development: the project installed editable, with its development dependencies.
FROM staging AS development
# Dependencies first, from the lock (an edit never re-runs this); group-writable, for quatrain dev.
RUN --mount=type=cache,target=/var/cache/pypoetry \
    umask 0002 && python -m venv "$VIRTUAL_ENV" \
    && poetry install --no-root --no-directory --no-interaction
COPY . .
# The project itself, editable: the only step an edit re-runs.
RUN umask 0002 && poetry install --only-root --no-interaction
ENV PORT=8888 \
    FLASK_APP="coach_planner:create_app()" \
    FLASK_DEBUG=1
EXPOSE 8888
# `poetry run` runs any command given to `docker run` inside the project's environment.
ENTRYPOINT ["poetry", "run"]
CMD ["sh", "-c", "exec flask run --host 0.0.0.0 --port \"$PORT\""]

# test: `pytest` in the development environment; `docker build --target test .`
FROM development AS test
RUN pytest \
    && mkdir -p /quatrain-gates && echo "test passed" > /quatrain-gates/test

# build: the runtime dependencies exactly as locked, hashes checked; the project's wheel.
FROM staging AS build
# init wrote this file for these two: after a change, production needs init again (development not).
RUN for file in pyproject.toml:2ea3e3327ef050e96f03fdfe54db9718c569dc7add007da87e5e7a775ffb7585 poetry.lock:15b6e3a23dfa97cfec3ff6713893b82ff5dc62012d74a62c6ce62dcb5ea67d92; do \
        [ "$(sha256sum < "${file%%:*}")" = "${file#*:}  -" ] \
        || { echo "${file%%:*} changed since quatrain init wrote this Dockerfile: run quatrain init" >&2; exit 1; }; \
    done
RUN poetry export --only main --format requirements.txt --output requirements.txt
# Dependencies before sources (an edit re-runs neither step); no pip: production installs nothing.
RUN --mount=type=cache,target=/root/.cache/uv \
    python -m venv --without-pip "$VIRTUAL_ENV" \
    && uv pip install --require-hashes --no-deps --compile-bytecode --requirement requirements.txt
COPY README.md ./
COPY coach_planner/ ./coach_planner/
# The wheel, by the build backend in Poetry's venv (what `poetry build` runs, minus its start-up).
RUN uv build --wheel --no-build-isolation --python "$POETRY_HOME/bin/python" --out-dir dist

# production: a fresh slim image with the locked dependencies and the wheel and the sources;
# no Poetry, no compilers; a non-root user.
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS production
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HOME=/home/app \
    PORT=8888 \
    WEB_CONCURRENCY=2
RUN groupadd --system --gid 10001 app \
    && useradd --system --create-home --home-dir /home/app --uid 10001 --gid 10001 app \
    && chgrp 0 /home/app && chmod 0775 /home/app
WORKDIR /app
# The venv of the build stage, dependencies only: it changes only when poetry.lock does.
COPY --from=build /opt/venv /opt/venv
# The sources (less .dockerignore), for files the app reads at run time; read-only for its user.
COPY . .
# The wheels built above, without dependencies, by staging's uv mounted for this step only.
RUN --mount=type=bind,from=build,source=/app/dist,target=/tmp/dist \
    --mount=type=bind,from=staging,source=/opt/uv/bin/uv,target=/usr/local/bin/uv \
    uv pip install --no-deps --no-cache --compile-bytecode /tmp/dist/*.whl
# The SBOM (CycloneDX, /usr/share/doc/quatrain/sbom.cdx.json) by quatrain-sbom.py: each file installed, by its hash.
ARG PYTHON_VERSION
ARG DEBIAN_RELEASE
ARG BASE_IMAGE_DIGEST=""
RUN --mount=type=bind,source=quatrain-sbom.py,target=/tmp/quatrain-sbom.py \
    --mount=type=bind,from=build,source=/app,target=/tmp/build \
    --mount=type=bind,from=staging,source=/opt/poetry,target=/tmp/poetry \
    python /tmp/quatrain-sbom.py --build /tmp/build --libraries /tmp/poetry \
        --base-image "python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE}" --base-digest "$BASE_IMAGE_DIGEST"
# The app may write /app/data, HOME and new files beside its code (the sticky bit guards the code).
RUN set -- /app/data && mkdir -p "$@" && chown 10001:0 "$@" && chmod 0775 "$@" \
    && chgrp 10001 /app && chmod 1775 /app
USER 10001:10001
EXPOSE 8888
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, socket; socket.create_connection(('127.0.0.1', int(os.environ.get('PORT', '8888'))), 4).close()"]
# The app: coach_planner:create_app() (coach_planner/__init__.py: create_app()).
CMD ["gunicorn", "--graceful-timeout=8", "--threads=4", "--reuse-port", "--worker-tmp-dir=/dev/shm", "--control-socket=/dev/shm/gunicorn.ctl", "coach_planner:create_app()"]
# Labels last: a new version rebuilds nothing above. quatrain build passes REVISION (git).
ARG REVISION=""
LABEL org.opencontainers.image.description="The article's example: a Flask app with a create_app() factory." \
      org.opencontainers.image.licenses=MIT \
      org.opencontainers.image.revision=$REVISION \
      org.opencontainers.image.source=https://example.org/coach-planner \
      org.opencontainers.image.title=coach-planner \
      org.opencontainers.image.version=0.1.0
