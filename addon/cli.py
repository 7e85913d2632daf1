"""``flask addon ...``: the operator's commands (descriptor, database, installations, webhooks).

Each command prints one clear line on failure and exits non-zero, so scripts can rely on it.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, select

from addon.descriptor import DescriptorError
from addon.extension import runtime
from addon.hipchat import HipChatError
from addon.store import Installation, Token, migrate
from addon.tokens import InstallationGoneError
from addon.webhooks import sync, wanted

addon_cli = click.Group("addon", help="Operate this HipChat add-on.")


@addon_cli.command("descriptor")
@click.option("--check", is_flag=True, help="Only validate; print 'ok' or the problem.")
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
    except Exception as exc:
        raise click.ClickException(f"migration failed: {exc}") from None
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
