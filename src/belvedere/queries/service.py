"""The saved-query service: what the web layer calls to keep, share, change and run them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from belvedere.auth.account import Account
from belvedere.concurrency import Lane
from belvedere.connections.service import ConnectionService
from belvedere.store.saved_queries import SavedQueries, SavedQueryNotFound, SavedQueryRecord
from belvedere.store.users import Users


@dataclass(frozen=True)
class SavedQueryView:
    """A saved query as a reader sees it, with its owner's username."""

    record: SavedQueryRecord
    owner: str


class SavedQueryService:
    """Saved queries through their rules: who sees one, who changes it, on which connection."""

    def __init__(
        self, saved: SavedQueries, connections: ConnectionService, users: Users, io: Lane
    ) -> None:
        self._saved = saved
        self._connections = connections
        self._users = users
        self._io = io

    def _view(self, saved: SavedQueryRecord, reader: Account) -> SavedQueryView:
        owner = reader if saved.owner_id == reader.id else self._users.get(saved.owner_id)
        return SavedQueryView(saved, owner.username if owner else "?")

    def _visible(self, saved_id: int, reader: Account) -> SavedQueryRecord:
        saved = self._saved.visible(saved_id, reader.id)
        if saved is None:
            raise SavedQueryNotFound(saved_id)
        return saved

    async def list_visible(self, reader: Account) -> list[SavedQueryView]:
        """The reader's own saved queries and the shared ones, by name."""

        def read() -> list[SavedQueryView]:
            names = {u.id: u.username for u in self._users.list()}
            return [
                SavedQueryView(s, names.get(s.owner_id, "?"))
                for s in self._saved.list_visible(reader.id)
            ]

        return await self._io.run(read)

    async def get(self, reader: Account, saved_id: int) -> SavedQueryView:
        """A saved query the reader owns or that is shared (``SavedQueryNotFound``)."""
        return await self._io.run(lambda: self._view(self._visible(saved_id, reader), reader))

    async def visible(self, reader: Account, saved_id: int) -> SavedQueryRecord:
        """Like :meth:`get`, the record alone (to run it)."""
        return await self._io.run(self._visible, saved_id, reader)

    async def create(
        self,
        owner: Account,
        *,
        connection: str,
        name: str,
        sql: str,
        description: str,
        shared: bool,
    ) -> SavedQueryView:
        """Save a query on an existing connection (``ConnectionNotFound`` otherwise)."""

        def write() -> SavedQueryView:
            self._connections.get(connection)
            saved = self._saved.create(
                owner.id,
                connection=connection,
                name=name,
                sql=sql,
                description=description,
                shared=shared,
            )
            return self._view(saved, owner)

        return await self._io.run(write)

    async def change(
        self, owner: Account, saved_id: int, changes: Mapping[str, Any]
    ) -> SavedQueryView:
        """Change the owner's saved query (``changes`` as the API names them; ``NotOwner``
        for a shared one of someone else's)."""

        def write() -> SavedQueryView:
            fields = dict(changes)
            if "connection" in fields:
                self._connections.get(fields["connection"])
                fields["connection_name"] = fields.pop("connection")
            saved = self._saved.update(saved_id, owner.id, fields)
            if saved is None:
                raise SavedQueryNotFound(saved_id)
            return self._view(saved, owner)

        return await self._io.run(write)

    async def delete(self, owner: Account, saved_id: int) -> None:
        """Delete the owner's saved query (``NotOwner`` for a shared one of someone else's)."""
        if not await self._io.run(self._saved.delete, saved_id, owner.id):
            raise SavedQueryNotFound(saved_id)
