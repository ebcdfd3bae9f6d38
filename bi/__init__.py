"""The BI layer: Superset's dashboards on the published marts (bi/superset)."""
