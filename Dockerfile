# The gateway image; docker-compose.yaml runs the gateway, the migrations and
# the Celery worker and beat from it, each with its own command.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Bytecode is compiled now because the code stays root-owned and read-only at run time.
# The app user owns only the /app directory itself: enough for the SQLite file
# of a standalone `docker run` and for celery beat's schedule file.
RUN python -m compileall -q /app \
    && useradd --system --no-create-home --no-log-init --home-dir /app --shell /usr/sbin/nologin gateway \
    && chown gateway:gateway /app
USER gateway

EXPOSE 4000
# Workers come from NUM_WORKERS (default 1); no HEALTHCHECK here because the
# Celery containers share this image: compose defines the gateway's.
CMD ["python", "manage.py", "serve", "--host", "0.0.0.0", "--port", "4000"]
