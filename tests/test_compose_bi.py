"""The Superset overlay of the compose stack parses, builds Superset from its own lock and takes
every secret from the environment (no Docker engine here to run it)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_bi_overlay_adds_superset_on_the_bi_role():
    base = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    overlay = yaml.safe_load((ROOT / "docker-compose.bi.yml").read_text())
    services = overlay["services"]
    assert {"superset", "bi-role"} <= set(services)
    # the overlay only extends services of the main file, and adds its own
    assert set(services) - {"superset", "bi-role"} <= set(base["services"])
    superset = services["superset"]
    context = ROOT / superset["build"]
    dockerfile = (context / "Dockerfile").read_text()
    assert "uv sync --frozen" in dockerfile and (context / "uv.lock").exists()
    assert "revwh_superset.py setup" in dockerfile and "revwh_superset.py serve" in dockerfile
    assert "8088:8088" in superset["ports"]
    assert superset["depends_on"]["bi-role"]["condition"] == "service_completed_successfully"
    environment = superset["environment"]
    # the BI role, not the warehouse owner; every secret from .env, none in the file
    assert environment["REVWH_BI_URL"].startswith("postgresql://revwh_bi@")
    for secret in ("REVWH_BI_PASSWORD", "SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD"):
        assert environment[secret].startswith("${" + secret + ":?"), secret
    assert services["bi-role"]["command"][-1] == "bi-role"
    # the nightly run (every Airflow service of the main file) keeps the same role's password
    for name, service in base["services"].items():
        if name.startswith("airflow-"):
            assert service["environment"]["REVWH_BI_PASSWORD"].startswith(
                "${REVWH_BI_PASSWORD:?"), name
    example = (ROOT / ".env.example").read_text()
    for name in ("REVWH_BI_PASSWORD", "SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD"):
        assert f"{name}=" in example
