# syntax=docker/dockerfile:1
# The donation tracker as a container:
#   docker build -t donations .
#   docker run -p 8000:8000 -v donations-data:/data -e DONATIONS_SECRET_KEY=... donations
# The SQLite database lives on the /data volume; set DONATIONS_DATABASE_URL to use PostgreSQL.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user; it owns only /data (the code stays root-owned and read-only to it).
RUN groupadd --system --gid 10001 donations \
    && useradd --system --uid 10001 --gid donations --create-home --home-dir /home/donations \
        --shell /usr/sbin/nologin donations \
    && mkdir -p /data \
    && chown donations:donations /data

WORKDIR /app
# The build context minus .dockerignore: pyproject.toml, README.md, donations/, and
# templates/ and static/ when they exist (a missing folder does not break the build).
COPY . .
# A regular (non-editable) install; then drop the build leftovers from the source folder.
RUN pip install . \
    && rm -rf build ./*.egg-info \
    && donations --help >/dev/null

ENV DONATIONS_DATABASE_URL=sqlite:////data/donations.db
# Declared after /data is created and chowned, so a new volume starts owned by the app user.
VOLUME ["/data"]

USER donations
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["donations", "serve", "--host", "0.0.0.0"]
