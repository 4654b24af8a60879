# Image of a bilateral-monitor worker (used by docker-compose.yml).
# Build: docker build -t bilateral-monitor .   Run: docker run bilateral-monitor worker
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY schemas ./schemas
COPY service ./service
RUN pip install --no-deps --require-hashes -r requirements/model.txt && pip install . && useradd --create-home --uid 10001 monitor
USER monitor
WORKDIR /home/monitor

ENTRYPOINT ["bilateral-monitor"]
CMD ["worker"]
