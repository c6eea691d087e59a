"""The Home page: each user's favourites (charts, dashboards, saved queries they starred) and
what they used lately, limited to what they may still see."""
