"""``flask addon ...``: the operator's commands (descriptor, database, installations, webhooks,
outbox).

Each command prints one clear line on failure and exits non-zero, so scripts can rely on it.
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from addon.config import ConfigError
from addon.descriptor import DescriptorError
from addon.extension import runtime
from addon.hipchat import HipChatError
from addon.store import Installation, Token, migrate
from addon.tokens import InstallationGoneError
from addon.webhooks import sync, wanted


class AddonGroup(click.Group):
    """The ``addon`` command group: turns infrastructure failures into one-line errors.

    A database or Redis that cannot be reached, or a bad ``ADDON_*`` setting, prints
    ``Error: ...`` on one line and exits 1 instead of a traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; map known failures to ``click.ClickException``."""
        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            problem = _first_line(exc.orig)
            raise click.ClickException(f"cannot reach the database: {problem}") from None
        except SQLAlchemyError as exc:
            raise click.ClickException(f"database error: {_first_line(exc)}") from None
        except RedisError as exc:
            raise click.ClickException(f"cannot reach Redis: {_first_line(exc)}") from None
        except ConfigError as exc:
            raise click.ClickException(f"bad configuration: {exc}") from None


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else type(exc).__name__


addon_cli = AddonGroup("addon", help="Operate this HipChat add-on.")


@addon_cli.command("descriptor")
@click.option(
    "--check", is_flag=True, help="Only validate: print 'ok' and exit 0, or the problem and exit 1."
)
@with_appcontext
def descriptor_command(check: bool) -> None:
    """Print the capabilities descriptor HipChat will read."""
    try:
        document = runtime().descriptor_json().decode()
    except DescriptorError as exc:
        raise click.ClickException(f"invalid descriptor: {exc}") from None
    click.echo("ok" if check else document)


@addon_cli.group("db")
def db_group() -> None:
    """The add-on's database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema to ``revision``."""
    url = runtime().settings.database_url
    try:
        migrate.upgrade(url, revision)
    except OperationalError:
        raise  # AddonGroup reports "cannot reach the database"
    except Exception as exc:
        raise click.ClickException(f"migration failed: {_first_line(exc)}") from None
    click.echo(f"database at revision {migrate.current_revision(url)}")


@addon_cli.group("installations")
def installations_group() -> None:
    """The installations this add-on knows."""


@installations_group.command("list")
@with_appcontext
def installations_list() -> None:
    """One line per installation: oauthId, group, room (or 'global'), installed at."""
    with runtime().store.session() as session:
        rows = session.scalars(select(Installation).order_by(Installation.created_at)).all()
    for row in rows:
        where = f"room {row.room_id}" if row.room_id is not None else "global"
        click.echo(
            f"{row.oauth_id}  group {row.group_id}  {where}  {row.created_at:%Y-%m-%d %H:%M}"
        )
    if not rows:
        click.echo("no installations")


@installations_group.command("show")
@click.argument("oauth_id")
@with_appcontext
def installations_show(oauth_id: str) -> None:
    """Everything stored about one installation, except its secret."""
    rt = runtime()
    row = rt.installation(oauth_id)
    if row is None:
        raise click.ClickException(f"no installation {oauth_id}")
    click.echo(
        json.dumps(
            {
                "oauth_id": row.oauth_id,
                "group_id": row.group_id,
                "group_name": row.group_name,
                "room_id": row.room_id,
                "scopes": row.scope_list,
                "capabilities_url": row.capabilities_url,
                "token_url": row.token_url,
                "api_url": row.api_url,
                "created_at": row.created_at.isoformat(),
                "updated_at": row.updated_at.isoformat(),
            },
            indent=2,
        )
    )


@installations_group.command("remove")
@click.argument("oauth_id")
@with_appcontext
def installations_remove(oauth_id: str) -> None:
    """Forget an installation locally (its tokens and webhook records go with it)."""
    rt = runtime()
    with rt.store.session() as session:
        gone = session.execute(delete(Installation).where(Installation.oauth_id == oauth_id))
    if not gone.rowcount:
        raise click.ClickException(f"no installation {oauth_id}")
    rt.tokens.forget(oauth_id)
    click.echo(f"removed {oauth_id}")


@addon_cli.group("tokens")
def tokens_group() -> None:
    """Cached add-on tokens."""


@tokens_group.command("purge")
@with_appcontext
def tokens_purge() -> None:
    """Delete every cached token; new ones are minted on demand."""
    rt = runtime()
    with rt.store.session() as session:
        gone = session.execute(delete(Token))
    if rt.tokens.cache is not None:
        rt.tokens.cache.purge()
    click.echo(f"purged {gone.rowcount} token(s)")


@addon_cli.group("webhooks")
def webhooks_group() -> None:
    """Room webhooks registered through the REST API."""


@webhooks_group.command("sync")
@with_appcontext
def webhooks_sync() -> None:
    """Reconcile every room installation's webhooks with the registered handlers."""
    rt = runtime()
    hooks = wanted(rt.addon.registry, rt.settings)
    failures = 0
    with rt.store.session() as session:
        rooms = session.scalars(select(Installation).where(Installation.room_id.is_not(None)))
        installations = list(rooms)
    for installation in installations:
        try:
            with rt.store.session() as session:
                report = sync(
                    rt.client_for(installation), installation, hooks, session, rt.settings
                )
            click.echo(
                f"{installation.oauth_id} room {report.room_id}: created {len(report.created)}, "
                f"deleted {len(report.deleted)}, kept {len(report.kept)}"
            )
        except (HipChatError, InstallationGoneError) as exc:
            failures += 1
            click.echo(f"{installation.oauth_id}: failed: {exc}", err=True)
    if failures:
        raise click.ClickException(f"{failures} installation(s) could not be synced")


@addon_cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background handlers from the RQ queue (ADDON_BACKGROUND=rq) in this process.

    Same as ``rq worker -w rq.SimpleWorker -u $ADDON_REDIS_URL <ADDON_RQ_QUEUE>`` with
    ``ADDON_BACKGROUND_APP`` naming this app, but with the app already loaded.
    """
    from flask import current_app
    from redis import Redis
    from rq import SimpleWorker

    from addon.background import register_app

    rt = runtime()
    if not rt.settings.redis_url or rt.settings.background != "rq":
        raise click.ClickException(
            "background handlers do not use RQ: set ADDON_REDIS_URL and ADDON_BACKGROUND=rq"
        )
    register_app(rt.settings.background_app, current_app._get_current_object())  # type: ignore[attr-defined]
    connection = Redis.from_url(rt.settings.redis_url)
    click.echo(f"RQ worker on queue {rt.settings.rq_queue!r}" + (" (burst)" if burst else ""))
    SimpleWorker([rt.settings.rq_queue], connection=connection).work(burst=burst)


@addon_cli.group("secrets")
def secrets_group() -> None:
    """OAuth secrets and tokens encrypted at rest (ADDON_SECRET_KEY)."""


@secrets_group.command("rotate")
@with_appcontext
def secrets_rotate() -> None:
    """Re-encrypt every stored secret and token under the first key of ADDON_SECRET_KEY."""
    from addon.rotation import rotate_secrets
    from addon.store import SecretError

    try:
        report = rotate_secrets(runtime().store)
    except SecretError:
        raise click.ClickException(
            "a stored secret cannot be decrypted with any key in ADDON_SECRET_KEY; "
            "nothing was changed (list the old key after the new one)"
        ) from None
    click.echo(
        f"re-encrypted {report.installations} installation secret(s) and "
        f"{report.tokens} token(s) under the first key"
    )


@addon_cli.group("outbox")
def outbox_group() -> None:
    """Replies waiting in the durable outbox (``event.reply``)."""


@outbox_group.command("status")
@with_appcontext
def outbox_status() -> None:
    """One line: pending, delivered and failed replies, and the oldest pending reply's age."""
    click.echo(runtime().outbox.status().line())


@outbox_group.command("flush")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait for back-off and rate windows.",
)
@with_appcontext
def outbox_flush(timeout: float) -> None:
    """Deliver every pending reply now; exit 1 if some are still pending after ``--timeout``."""
    sender = runtime().outbox
    remaining = sender.flush(timeout)
    if remaining:
        raise click.ClickException(
            f"{remaining} repl{'y' if remaining == 1 else 'ies'} still pending after "
            f"{timeout:g} s; see `flask addon outbox status`"
        )
    click.echo(sender.status().line())
