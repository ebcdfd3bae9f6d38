# Image for the compose stack: Python 3.11 with the project's locked dependencies.
FROM python:3.11-slim
ENV UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/revwh/.venv/bin:$PATH \
    REVWH_HOME=/opt/revwh/.local
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /opt/revwh
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# the project itself (revwh, its `revwh` command), editable like a checkout's `uv sync`
RUN uv sync --frozen --no-dev
EXPOSE 8080
CMD ["revwh", "airflow", "standalone"]
