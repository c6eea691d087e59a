"""The ASGI web application: JSON API, pages and static assets."""
