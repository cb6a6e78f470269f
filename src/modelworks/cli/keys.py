"""``modelworks keys``: create, list, revoke and rotate API keys in the database of this home.

Revoking (or rotating) a key also ends every token issued for it. Each server worker learns
of it at its next periodic check (every ``MODELWORKS_LIVE_POLL_SECONDS``): it drops the key
from the keys it remembers as verified and refuses the key's tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from modelworks.cli.common import AsJson, console, fail, print_json
from modelworks.core.settings import Settings

if TYPE_CHECKING:
    from modelworks.server.auth import KeyStore

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)

KeyId = Annotated[str, typer.Argument(
    help="The key's id (in `keys list`), or the key itself: its id is the part between "
         "`mw_` and the next `_`")]


def _store() -> KeyStore:
    from modelworks.server.auth import KeyStore
    from modelworks.server.db import make_engine, migrate

    engine = make_engine(Settings().resolved_database_url)
    migrate(engine)
    return KeyStore(engine)


def _key_id(given: str) -> str:
    from modelworks.server.auth import key_id_of

    return key_id_of(given.strip())


@keys_app.command("create")
def keys_create(
    scope: Annotated[list[str], typer.Option(
        help="predict, history (read stored predictions), train or admin (repeatable)")],
    name: Annotated[str, typer.Option(help="A label for the key")] = "",
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from modelworks.sdk.access import Scope

    try:
        scopes = [Scope(s) for s in scope]
    except ValueError as exc:
        raise fail(f"{exc}; scopes are {', '.join(s.value for s in Scope)}", 2) from exc
    _, plain = _store().create(scopes, name)
    typer.echo(plain)


@keys_app.command("list")
def keys_list(as_json: AsJson = False) -> None:
    """Every key's id, name, scopes and state (secrets are never stored, so never shown)."""
    keys = _store().listing()
    if as_json:
        print_json([{**key, "revoked_at": key["revoked_at"] or None} for key in keys])
        return
    table = Table("key id", "name", "scopes", "created", "revoked")
    for key in keys:
        table.add_row(key["key_id"], key["name"], key["scopes"], key["created_at"][:19],
                      key["revoked_at"][:19])
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: KeyId) -> None:
    """Revoke a key and every token issued for it."""
    key_id = _key_id(key_id)
    if not _store().revoke(key_id):
        raise fail(f"no key with id {key_id!r} (see `modelworks keys list`)")
    console.print(f"key {key_id} revoked; {_reach()}")


@keys_app.command("rotate")
def keys_rotate(key_id: KeyId) -> None:
    """Replace a key by a new one with its name and scopes; print the new key once.

    The old key and its tokens stop working as a revoked key does. When the old key is the one
    in MODELWORKS_HOME/admin.key, the file gets the new one, so the dashboard and the CLI keep
    working.
    """
    from modelworks.server.auth import key_id_of, write_key_file

    key_id = _key_id(key_id)
    rotated = _store().rotate(key_id)
    if rotated is None:
        raise fail(f"no live key with id {key_id!r} (see `modelworks keys list`)")
    principal, plain = rotated
    key_file = Settings().admin_key_file
    if key_file.is_file() and key_id_of(key_file.read_text().strip()) == key_id:
        write_key_file(key_file, plain)
        console.print(f"{key_file} holds the new key")
    typer.echo(plain)
    console.print(f"key {key_id} revoked, replaced by {principal.key_id}; {_reach()}")


def _reach() -> str:
    seconds = Settings().live_poll_seconds
    return f"servers refuse it and its tokens within their poll interval ({seconds:g} s)"
