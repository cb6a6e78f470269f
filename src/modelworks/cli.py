"""The ``modelworks`` command line (Typer)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from modelworks.cli_jobs import jobs_app
from modelworks.cli_keys import keys_app
from modelworks.core.errors import ModelworksError
from modelworks.core.plugins import installed_service_names, load_services, unknown_service
from modelworks.core.progress import Progress as ProgressSink
from modelworks.core.registry import Registry
from modelworks.core.service import Comparable, Generated, TrainOptions
from modelworks.core.settings import AuthMode, Settings

app = typer.Typer(help="Train, evaluate, version and serve ML services.", no_args_is_help=True)
data_app = typer.Typer(help="Default training data.", no_args_is_help=True)
models_app = typer.Typer(help="The model registry.", no_args_is_help=True)
new_app = typer.Typer(help="Start something new from a working template.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(models_app, name="models")
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(new_app, name="new")
console = Console(stderr=True)

ServiceArg = Annotated[str, typer.Argument(help="Service name, e.g. genres")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _known_service(registry: Registry, service: str) -> str:
    """``service`` if it is installed or has versions; else exit 2 naming the closest one."""
    known = sorted({*installed_service_names(), *registry.services()})
    if service not in known:
        raise _fail(unknown_service(service, known), 2)
    return service


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    services: Annotated[str | None, typer.Option(help="Comma-separated services")] = None,
    auth: Annotated[AuthMode | None, typer.Option(
        help="required: a key on every model and admin call; contract: the original systems' "
             "routes as their documents define them (open, but movies' key -> token), a key "
             "for the rest; off: everything open")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes")] = None,
) -> None:
    """Start the API server (with --workers N, N forked processes sharing the models)."""
    import os

    # Options go through the environment, so job processes started by the server see them.
    overrides: dict[str, str] = {}
    if services is not None:
        names = [s.strip() for s in services.split(",") if s.strip()]
        overrides["MODELWORKS_SERVICES"] = json.dumps(names)
    if auth is not None:
        overrides["MODELWORKS_AUTH"] = auth.value
    if workers is not None:
        overrides["MODELWORKS_WORKERS"] = str(workers)
    os.environ.update(overrides)
    settings = Settings()
    settings = settings.model_copy(update={"host": host or settings.host,
                                           "port": port or settings.port})
    run_dir = None
    if settings.workers > 1:
        from modelworks.server.workers import make_run_dir

        run_dir = make_run_dir()  # before the server modules import prometheus_client
        threads = settings.model_threads if "MODELWORKS_MODEL_THREADS" in os.environ else 1
        settings = settings.model_copy(update={"run_dir": run_dir, "model_threads": threads})

    import uvicorn

    from modelworks.server.app import create_app, prepare_database
    from modelworks.server.logs import configure_logging
    from modelworks.server.workers import serve_forked

    configure_logging(settings.log_level, settings.log_format)
    try:
        application = create_app(settings)
        if run_dir is None:
            uvicorn.run(application, host=settings.host, port=settings.port, log_config=None,
                        proxy_headers=bool(settings.forwarded_allow_ips),
                        forwarded_allow_ips=settings.forwarded_allow_ips or None)
            return
        # Once, before any worker exists, so workers never race to migrate or create keys.
        prepare_database(settings, application.state.engine)
    except ModelworksError as exc:
        raise _fail(exc.message) from exc
    serve_forked(application, settings, run_dir)


@app.command()
def dashboard(
    port: Annotated[int | None, typer.Option(
        help="Port of the dashboard (default MODELWORKS_DASHBOARD_PORT, 9000)")] = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default MODELWORKS_HOST)")]
    = None,
    api_url: Annotated[str | None, typer.Option(
        help="The API it talks to (default MODELWORKS_API_URL, else this machine at "
             "MODELWORKS_PORT)")] = None,
) -> None:
    """Start the Streamlit dashboard (explore, train, promote, infer) against a running API."""
    import os
    import sys

    import modelworks.dashboard

    if api_url is not None:
        os.environ["MODELWORKS_API_URL"] = api_url
    settings = Settings()
    port = port or settings.dashboard_port
    # Streamlit's process reads the URL from the environment: pass on the one resolved here,
    # which follows MODELWORKS_PORT when MODELWORKS_API_URL is not set.
    os.environ["MODELWORKS_API_URL"] = settings.api_url
    script = Path(modelworks.dashboard.__file__).parent / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(script),
               "--server.port", str(port), "--server.address", host or settings.host,
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "minimal"]
    console.print(f"dashboard on http://{host or settings.host}:{port} "
                  f"(API {settings.api_url})")
    # Become Streamlit rather than wait for it, so a signal to this process (Ctrl-C, a
    # supervisor's stop) reaches the server and no orphan keeps the port.
    os.execv(sys.executable, command)  # noqa: S606 - our interpreter, fixed arguments


@data_app.command("prepare")
def data_prepare(
    service: Annotated[str | None, typer.Argument(help="Service (default: all)")] = None,
    users: Annotated[int | None, typer.Option(
        help="Generated data only: number of users (regenerates the data)")] = None,
    seed: Annotated[int | None, typer.Option(
        help="Generated data only: random seed (regenerates the data)")] = None,
    seed_users: Annotated[Path | None, typer.Option(
        help="Generated data only: CSV of users (id,name,type) to include as they are")] = None,
) -> None:
    """Fetch or generate each service's default training data (cached in MODELWORKS_HOME).

    Generated data (interests) is made once; any of --users, --seed or --seed-users makes it
    again with those choices.
    """
    settings = Settings()
    regenerate = users is not None or seed is not None or seed_users is not None
    try:
        for name, svc in load_services(settings, [service] if service else None).items():
            console.print(f"preparing {name} ...")
            if regenerate and isinstance(svc, Generated):
                path = svc.generate_data(settings, users=users, seed=seed, seed_users=seed_users)
            elif regenerate and service:
                raise _fail(f"{name}'s data is not generated: --users, --seed and --seed-users "
                            "do not apply", 2)
            else:
                path = svc.prepare_data(settings)
            console.print(f"[green]{name}[/green]: {path}")
    except ModelworksError as exc:
        raise _fail(exc.message) from exc


@app.command()
def train(
    service: Annotated[str | None, typer.Argument(help="Service name, e.g. genres")] = None,
    every: Annotated[bool, typer.Option(
        "--all", help="Every installed service (with --if-missing: those with no live model)")]
    = False,
    data: Annotated[Path | None, typer.Option(
        help="Training data: a file or folder in the service's format (default: prepared data)")]
    = None,
    if_missing: Annotated[bool, typer.Option(help="Only train when no version is live")] = False,
    model: Annotated[str | None, typer.Option(
        help="Model kind, for services offering several (e.g. resumes: naive-bayes)")] = None,
    name: Annotated[str, typer.Option(help="A label recorded with the version")] = "",
    register: Annotated[bool, typer.Option(
        help="--no-register: fit and evaluate only, write nothing to the registry")] = True,
) -> None:
    """Train a new version, register it and promote it if it passes the gate."""
    if every == (service is not None):
        raise _fail("name one service, or --all", 2)
    if every:
        if data is not None or model is not None:
            raise _fail("--data and --model name one service's data and model; not with --all",
                        2)
        for name_of in installed_service_names():
            console.print(f"[bold]{name_of}[/bold]")
            _train_one(name_of, None, if_missing, None, name, register)
        return
    assert service is not None
    _train_one(service, data, if_missing, model, name, register)


def _train_one(service: str, data: Path | None, if_missing: bool, model: str | None, name: str,
               register: bool) -> None:
    from modelworks.core.training import train_and_register

    settings = Settings()
    live = Registry(settings.registry_dir).live_version(service)
    if if_missing and live is not None:
        console.print(f"{service}: version {live} is live; nothing to train")
        return
    try:
        svc = load_services(settings, [service])[service]
        path = data if data is not None else svc.prepare_data(settings)
        training_data = svc.read_training_data(path)
        with _progress_bar() as report:
            result = train_and_register(svc, Registry(settings.registry_dir), training_data,
                                        report, TrainOptions(model=model, name=name,
                                                             register=register))
    except ModelworksError as exc:
        raise _fail(exc.message) from exc
    _print_json(result.to_json())


@app.command()
def evaluate(
    service: ServiceArg,
    data: Annotated[Path | None, typer.Option(
        help="Labelled data in the service's training format (default: prepared data)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table")] = False,
) -> None:
    """Measure a service's model.

    Services with baselines fit our model and every baseline on one split of the data and print
    their held-out metrics side by side; the others report the live model's metrics on the data.
    """
    settings = Settings()
    try:
        svc = load_services(settings, [service])[service]
        path = data if data is not None else svc.prepare_data(settings)
        labelled = svc.read_training_data(path)
        if isinstance(svc, Comparable):
            with _progress_bar() as report:
                table = svc.compare(labelled, report)
            if as_json:
                _print_json({"service": service, "models": table})
            else:
                _print_table(service, table)
            return
        registry = Registry(settings.registry_dir)
        version = registry.live_version(service)
        if version is None:
            raise _fail(f"{service} has no live model; train one with `modelworks train {service}`")
        model = svc.load_model(registry.verified_folder(service, version))
        metrics = svc.evaluate(model, labelled)
    except ModelworksError as exc:
        raise _fail(exc.message) from exc
    _print_json({"service": service, "version": version, "metrics": metrics})


@contextmanager
def _progress_bar() -> Iterator[ProgressSink]:
    with Progress(TextColumn("{task.description:<40}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task("starting", total=1.0)

        def report(step: str, fraction: float) -> None:
            bar.update(task, description=step, completed=fraction)

        yield report


def _print_table(service: str, results: dict[str, dict[str, float]]) -> None:
    metric_names = list(dict.fromkeys(name for metrics in results.values() for name in metrics))
    table = Table("model", *metric_names, title=f"{service}: held-out metrics, one split")
    for model_name, metrics in results.items():
        table.add_row(model_name, *(_number(metrics[m]) if m in metrics else "" for m in
                                    metric_names))
    Console(width=max(Console().width, 120)).print(table)


def _number(value: float) -> str:
    """A metric as read: counts (whole numbers past 1) as integers, scores to four places."""
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) > 1 else f"{value:.4f}"


@models_app.command("list")
def models_list(
    service: Annotated[str | None, typer.Argument(help="Service (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table")] = False,
) -> None:
    """List registered versions; the live one is marked."""
    registry = Registry(Settings().registry_dir)
    if service is not None:
        _known_service(registry, service)
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
        _print_json(listed)
    else:
        Console().print(table)


@models_app.command("promote")
def models_promote(
    service: ServiceArg, version: Annotated[int, typer.Argument(help="Version to make live")]
) -> None:
    """Make a version live (always allowed: it is also how one rolls forward or back)."""
    registry = Registry(Settings().registry_dir)
    _known_service(registry, service)
    try:
        registry.promote(service, version)
    except ModelworksError as exc:
        raise _fail(exc.message) from exc
    console.print(f"{service}: version {version} is live")


@models_app.command("rollback")
def models_rollback(service: ServiceArg) -> None:
    """Make the previously live version live again."""
    registry = Registry(Settings().registry_dir)
    _known_service(registry, service)
    try:
        version = registry.rollback(service)
    except ModelworksError as exc:
        raise _fail(exc.message) from exc
    console.print(f"{service}: rolled back to version {version}")


@app.command("services")
def services_list() -> None:
    """List installed services."""
    for name in installed_service_names():
        typer.echo(name)


@new_app.command("service")
def new_service(
    name: Annotated[str, typer.Argument(help="The service's name: URL prefix, metrics label")],
    folder: Annotated[Path, typer.Option("--dir", help="Where to write its package (new)")],
) -> None:
    """Write a working service (a small text classifier) as its own installable package."""
    from modelworks.scaffold import write_service

    try:
        written = write_service(name, folder, taken=installed_service_names())
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"wrote {len(written)} files into {folder}; next:\n"
                  f"  pip install -e {folder}\n  modelworks data prepare {name}\n"
                  f"  modelworks train {name}\n  modelworks serve")


if __name__ == "__main__":
    app()
