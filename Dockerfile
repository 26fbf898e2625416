# The onemap service image: API, dashboard and CLI. The database runs in its own
# container (see docker-compose.yml).
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/onemap
COPY pyproject.toml README.md ./
COPY app ./app
COPY gis ./gis
COPY migrations ./migrations
COPY web ./web
RUN pip install --no-cache-dir -e . \
 && npm ci --prefix web --no-audit --no-fund --loglevel=error

RUN useradd --system --home /srv/onemap onemap
USER onemap
EXPOSE 8000
CMD ["sh", "-c", "onemap migrate && onemap serve --host 0.0.0.0 --port 8000 --workers 2"]
