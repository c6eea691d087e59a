"""Servers the tests start: the base of those run on an event-loop thread of their own
(:mod:`.loop`), an ASGI app over real HTTP (:mod:`.app`), PostgreSQL (:mod:`.postgres`)."""
