"""Grafana boards as code: dashboards generated with grafana-foundation-sdk from the SQL in queries.py."""
