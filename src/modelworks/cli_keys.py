"""``modelworks keys``: create, list and revoke API keys in the database of this home.

Revoking a key also ends every token issued for it: each server learns of the revocation
within its poll interval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from modelworks.core.settings import Settings

if TYPE_CHECKING:
    from modelworks.server.auth import KeyStore

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
console = Console(stderr=True)


def _store() -> KeyStore:
    from modelworks.server.auth import KeyStore
    from modelworks.server.db import make_engine, migrate

    engine = make_engine(Settings().resolved_database_url)
    migrate(engine)
    return KeyStore(engine)


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
        console.print(f"[red]error:[/red] {exc}; scopes are "
                      f"{', '.join(s.value for s in Scope)}")
        raise typer.Exit(2) from exc
    _, plain = _store().create(scopes, name)
    typer.echo(plain)


@keys_app.command("list")
def keys_list() -> None:
    """Every key's id, name, scopes and state (secrets are never stored, so never shown)."""
    table = Table("key id", "name", "scopes", "created", "revoked")
    for key in _store().listing():
        table.add_row(key["key_id"], key["name"], key["scopes"], key["created_at"][:19],
                      key["revoked_at"][:19])
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id: the part between `mw_` and "
                                               "the next `_`, or its id in `keys list`")],
) -> None:
    """Revoke a key and every token issued for it."""
    if key_id.startswith("mw_"):
        key_id = key_id.split("_")[1]
    if not _store().revoke(key_id):
        console.print(f"[red]error:[/red] no key with id {key_id!r}")
        raise typer.Exit(1)
    console.print(f"key {key_id} revoked; servers refuse it and its tokens within a second")
