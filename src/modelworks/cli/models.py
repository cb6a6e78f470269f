"""``modelworks models``: list, show, promote and roll back versions in this home's registry."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from modelworks.cli.common import AsJson, ServiceArg, console, fail, known_service, print_json
from modelworks.core.errors import ModelworksError
from modelworks.core.registry import Manifest, Registry
from modelworks.core.reports import report_names
from modelworks.core.settings import Settings

models_app = typer.Typer(help="The model registry.", no_args_is_help=True)


def _registry() -> Registry:
    return Registry.from_settings(Settings())


@models_app.command("list")
def models_list(
    service: Annotated[str | None, typer.Argument(help="Service (default: all)")] = None,
    as_json: AsJson = False,
) -> None:
    """List registered versions; the live one is marked."""
    registry = _registry()
    if service is not None:
        known_service(service, registry)
    listed: list[dict[str, Any]] = []
    table = Table("service", "version", "live", "created", "rows", "metrics")
    for name in [service] if service else registry.services():
        try:
            live = registry.live_version(name)
        except ModelworksError as exc:
            console.print(f"[red]{name}:[/red] {exc.message}")
            live = None
        manifests = {m.version: m for m in registry.versions(name)}
        for number in registry.version_numbers(name):
            broken = registry.problem(name, number)
            marker = "*" if number == live else ""
            manifest = manifests.get(number)
            listed.append({"service": name, "version": number, "live": number == live,
                           "broken": broken or None,
                           "created_at": manifest.created_at if manifest else None,
                           "rows": manifest.n_rows if manifest else None,
                           "metrics": manifest.metrics if manifest else {}})
            if manifest is None:
                table.add_row(name, str(number), marker, "", "", f"[red]broken: {broken}[/red]")
                continue
            metrics = ", ".join(f"{k}={v:g}" for k, v in manifest.metrics.items())
            if broken:
                metrics = f"[red]broken: {broken}[/red]"
            table.add_row(name, str(number), marker, manifest.created_at[:19],
                          str(manifest.n_rows), metrics)
    if as_json:
        print_json(listed)
    else:
        Console().print(table)


@models_app.command("show")
def models_show(
    service: ServiceArg,
    version: Annotated[int | None, typer.Argument(
        help="Version (default: the live one, else the latest)")] = None,
    as_json: AsJson = False,
) -> None:
    """One version: manifest, parameters, metrics, data hash, gate decision, stored reports."""
    registry = _registry()
    known_service(service, registry)
    try:
        live = registry.live_version(service)
        numbers = registry.version_numbers(service)
        if version is None:
            if not numbers:
                raise fail(f"{service} has no versions; train one with "
                           f"`modelworks train {service}`")
            version = live if live is not None else numbers[-1]
        manifest = registry.manifest(service, version)
        problem = registry.problem(service, version)
    except ModelworksError as exc:
        raise fail(exc.message) from exc
    folder = registry.version_location(service, version)
    shown = {**manifest.to_json(), "live": version == live, "broken": problem,
             "folder": folder, "reports": [f"{folder}/{name}"
                                           for name in report_names(manifest)]}
    if as_json:
        print_json(shown)
    else:
        _print_version(manifest, shown)


def _print_version(manifest: Manifest, shown: dict[str, Any]) -> None:
    out = Console()
    notes = manifest.notes
    gate = notes.get("gate") or {}
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    decision = "(no decision recorded)"
    if gate:
        decision = f"{'passed' if gate.get('passed') else 'not passed'}: {gate.get('reason')}"
    state = "live" if shown["live"] else "not live"
    if shown["broken"]:
        state += f" [red](broken: {shown['broken']})[/red]"
    rows = [("version", f"{manifest.service} {manifest.version}: {state}"),
            ("name", notes.get("name") or ""),
            ("created", manifest.created_at),
            ("rows", f"{manifest.n_rows:,}"
                     + (f" ({notes['holdout_rows']:,} held out to measure it)"
                        if isinstance(notes.get("holdout_rows"), int) else "")),
            ("data sha256", manifest.data_sha256 or "(not recorded)"),
            ("gate", decision),
            ("libraries", ", ".join(f"{k} {v}" for k, v in manifest.libraries.items())),
            ("folder", shown["folder"])]
    for label, value in rows:
        if value:  # a version without a label has no name row
            facts.add_row(label, str(value))
    out.print(facts)
    _print_mapping(out, "metrics (held out)", manifest.metrics)
    _print_mapping(out, "parameters", manifest.params)
    evaluation = notes.get("evaluation")
    if isinstance(evaluation, dict) and evaluation:
        _print_evaluation(out, evaluation)
    if shown["reports"]:
        out.print("[bold]reports[/bold]")
        for path in shown["reports"]:
            out.print(f"  {path}", highlight=False)


def _print_mapping(out: Console, title: str, values: dict[str, Any]) -> None:
    if not values:
        return
    table = Table(title=title, title_justify="left", show_header=False)
    for key, value in values.items():
        table.add_row(key, _cell(value))
    out.print(table)


def _print_evaluation(out: Console, evaluation: dict[str, Any]) -> None:
    """Stored evaluation details: row lists as tables, matrices by their size, the rest as is."""
    for key, value in evaluation.items():
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            columns = list(dict.fromkeys(c for row in value for c in row))
            table = Table(*columns, title=key.replace("_", " "), title_justify="left")
            for row in value:
                table.add_row(*(_cell(row.get(c, "")) for c in columns))
            out.print(table)
        elif isinstance(value, list) and value and all(isinstance(r, list) for r in value):
            out.print(f"[bold]{key.replace('_', ' ')}[/bold]: {len(value)} x {len(value[0])} "
                      "(in --json)")
        elif not isinstance(value, list):
            out.print(f"[bold]{key.replace('_', ' ')}[/bold]: {_cell(value)}", highlight=False)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


@models_app.command("promote")
def models_promote(
    service: ServiceArg, version: Annotated[int, typer.Argument(help="Version to make live")]
) -> None:
    """Make a version live (always allowed: it is also how one rolls forward or back)."""
    registry = _registry()
    known_service(service, registry)
    try:
        registry.promote(service, version)
    except ModelworksError as exc:
        raise fail(exc.message) from exc
    console.print(f"{service}: version {version} is live")


@models_app.command("rollback")
def models_rollback(service: ServiceArg) -> None:
    """Make the previously live version live again."""
    registry = _registry()
    known_service(service, registry)
    try:
        version = registry.rollback(service)
    except ModelworksError as exc:
        raise fail(exc.message) from exc
    console.print(f"{service}: rolled back to version {version}")

