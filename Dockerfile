# Image for the compose stack: Python 3.11 with the project's locked dependencies.
FROM python:3.11-slim
ENV UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/revwh/.venv/bin:$PATH \
    PYTHONPATH=/opt/revwh/plugins \
    REVWH_HOME=/opt/revwh/.local
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /opt/revwh
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
EXPOSE 8080
CMD ["python", "-m", "revwh.cli", "airflow", "standalone"]
