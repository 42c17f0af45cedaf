"""Catalogue reads from a read replica (DATABASE_REPLICA_URL); everything else on the primary.

Browsing is most of a shop's traffic and only reads the catalogue, so those queries are the
ones worth moving off the primary. The rule is opt-in and narrow:

- only reads of the apps in MALLKIT_REPLICA_APPS (the catalogue and its stock levels);
- only while serving a GET or HEAD request outside MALLKIT_PRIMARY_PATHS (checkout, cart,
  account, back office, admin…): ReplicaMiddleware switches the replica on for such a
  request, and nothing else (commands, tasks, tests, other requests) ever uses it;
- never inside a transaction on the primary: whoever wrote or locked rows reads them back
  from the same connection, so checkout's prices and stock always come from the primary.

Writes always go to the primary. A replica lags its primary by a moment; with PostgreSQL's
`synchronous_commit = remote_apply` a commit returns only once the replica shows it, so a page
rendered (and cached) right after a change never shows the old version.
"""

import contextvars

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_replica_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "replica_allowed", default=False
)


def replica_alias() -> str | None:
    """The replica's database alias, or None when no replica is configured."""
    alias = getattr(settings, "MALLKIT_REPLICA_DATABASE", None)
    return alias if alias and alias in settings.DATABASES else None


def read_database(model) -> str:
    """Where a read of `model` goes now: the replica or the primary."""
    replica = replica_alias()
    if (
        replica is None
        or not _replica_allowed.get()
        or model._meta.app_label not in settings.MALLKIT_REPLICA_APPS
        or connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        # Named explicitly: returning None would let Django follow an instance's own
        # database, and an object read from the replica would drag its relations there.
        return DEFAULT_DB_ALIAS
    return replica


class ReplicaRouter:
    """Django database router for DATABASES = {"default": primary, "replica": copy}."""

    def db_for_read(self, model, **hints):
        return read_database(model)

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows, so objects read from either may be related.
        aliases = {DEFAULT_DB_ALIAS, replica_alias()}
        return obj1._state.db in aliases and obj2._state.db in aliases

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica copies the primary's schema through replication.
        return db == DEFAULT_DB_ALIAS


class ReplicaMiddleware:
    """Let reads of a safe request outside the primary-only paths use the replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        allowed = request.method in SAFE_METHODS and not request.path_info.startswith(
            tuple(settings.MALLKIT_PRIMARY_PATHS)
        )
        token = _replica_allowed.set(allowed)
        try:
            return self.get_response(request)
        finally:
            _replica_allowed.reset(token)
