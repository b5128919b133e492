# QNP Studio: the Streamlit app on port 8501 with its run history in a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    QNP_STUDIO_DB=/data/qnp_studio.db \
    QNP_ENGINE_CACHE=/opt/qnp-engine

WORKDIR /app
# Dependencies first, so code changes do not re-install them.
COPY pyproject.toml README.md ./
COPY qnp_engine/__init__.py qnp_engine/__init__.py
COPY storage/__init__.py storage/__init__.py
RUN pip install --upgrade pip && pip install ".[cudaq,qnn]" && pip uninstall -y qnp-studio
COPY . .
# The compiled engine (mypyc, ~2x faster, identical results) is built into the image, so containers never
# build it at start; the compiler is removed again afterwards.
RUN pip install --no-deps -e . \
    && apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && qnp compile \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

# SQLite in WAL mode needs a local filesystem: use a named volume, not an NFS/SMB bind mount.
VOLUME ["/data"]
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"
# No file watcher in a container: the code does not change under it, and polling would cost CPU.
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true", \
     "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"]
