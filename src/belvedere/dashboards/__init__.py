"""Dashboards: the grid layout, who may see and change one, which filters reach which chart,
and the service the web layer calls."""
