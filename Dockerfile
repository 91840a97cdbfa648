# Grimoire Engine: slim image, non-root, `grimoire serve` on port 8000.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY grimoire ./grimoire
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/grimoire.db
RUN useradd --create-home --uid 10001 grimoire \
    && mkdir /data && chown grimoire:grimoire /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER grimoire
WORKDIR /home/grimoire
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4).status != 200)"]
# The production server configuration (README "Security: limits and timeouts"): grimoire serve
# runs uvicorn with httptools, Grimoire's protocol and these limits. Behind a reverse proxy, set
# FORWARDED_ALLOW_IPS to its address so that X-Forwarded-For/-Proto are believed from it alone.
ENV HTTP_MAX_HEADER_BYTES=32768 HTTP_MAX_HEADERS=100 HTTP_MAX_REQUEST_LINE=8192 \
    HTTP_HEADER_TIMEOUT=10 HTTP_BODY_TIMEOUT=30 HTTP_IDLE_TIMEOUT=5 \
    HTTP_MAX_CONNECTIONS=500 HTTP_BODY_SLOTS=8 HTTP_BODY_SLOT_WAIT=5 \
    FORWARDED_ALLOW_IPS=127.0.0.1
CMD ["grimoire", "serve", "--host", "0.0.0.0", "--port", "8000"]
