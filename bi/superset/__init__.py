"""Superset: the dashboards bundle (assets/) and the generator that writes it.

The generator is a package so it runs without path tweaks from the repository root::

    .venv/bin/python -m bi.superset.generate_assets [--url URL]

``revwh_superset.py`` and ``superset_config.py`` run in Superset's own venv and import nothing
from here.
"""
