"""The ``modelworks`` command line (Typer): serving, data, training and evaluation.

The other command groups live beside it: ``models`` (the registry), ``keys``, ``jobs`` and
``predict``; what they share is in ``modelworks.cli.common``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from modelworks.cli.banner import announce_ready, port_in_use, training_summary
from modelworks.cli.common import (
    AsJson,
    ServiceArg,
    console,
    fail,
    known_service,
    number,
    print_json,
    progress_bar,
    working_bar,
)
from modelworks.cli.jobs import jobs_app
from modelworks.cli.keys import keys_app
from modelworks.cli.models import models_app
from modelworks.cli.predict import predict
from modelworks.core.errors import ModelworksError
from modelworks.core.plugins import installed_service_names, load_services
from modelworks.core.registry import Registry
from modelworks.core.service import Comparable, Generated, TrainOptions
from modelworks.core.settings import AuthMode, Settings

app = typer.Typer(help="Train, evaluate, version and serve ML services.", no_args_is_help=True)
data_app = typer.Typer(help="Default training data.", no_args_is_help=True)
new_app = typer.Typer(help="Start something new from a working template.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@app.callback()
def announce_a_new_home() -> None:
    """Say so when a command is about to start a new, empty home folder."""
    import sys

    if any(arg in ("--help", "-h") for arg in sys.argv[1:]):
        return
    home = Settings().home
    if not home.exists():
        # A command run outside the project would otherwise start an empty registry and a
        # new admin key without a word.
        home.mkdir(parents=True)
        console.print(f"modelworks: new home folder {home} (no .modelworks in this folder or "
                      "above it; MODELWORKS_HOME chooses another)", highlight=False)
app.add_typer(models_app, name="models")
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(new_app, name="new")


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
    reload: Annotated[bool, typer.Option(
        help="Development: restart when a .py file of modelworks or of an installed service "
             "changes (one process; not with --workers)")] = False,
    reload_dir: Annotated[list[Path] | None, typer.Option(
        help="With --reload: also watch this folder (repeatable)", exists=True,
        file_okay=False)] = None,
    ray: Annotated[bool, typer.Option(
        "--ray", help="Serve on Ray (extra modelworks\\[ray]): a Ray Serve deployment per "
                      "service, training jobs as Ray tasks; on a Ray instance of its own unless "
                      "--ray-address (or MODELWORKS_RAY_ADDRESS) names a cluster")] = False,
    ray_address: Annotated[str | None, typer.Option(
        help="With --ray: the cluster, `auto` (the one this machine joined with `ray start`), "
             "`HOST:PORT` or `ray://HOST:10001`")] = None,
) -> None:
    """Start the API server (with --workers N, N forked processes sharing the models)."""
    import json
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
    if ray_address is not None:
        overrides["MODELWORKS_RAY_ADDRESS"] = ray_address
    elif ray:
        overrides["MODELWORKS_RAY_ADDRESS"] = os.environ.get("MODELWORKS_RAY_ADDRESS", "local")
    os.environ.update(overrides)
    settings = Settings()
    settings = settings.model_copy(update={"host": host or settings.host,
                                           "port": port or settings.port})
    if port_in_use(settings.host, settings.port):
        # Checked before any model loads: finding out after a minute of loading is no help.
        raise fail(f"port {settings.port} on {settings.host} is in use: stop what listens "
                   "there, or choose another port with --port or MODELWORKS_PORT")
    if reload:
        if settings.workers > 1:
            raise fail("--reload runs one process: leave out --workers (and MODELWORKS_WORKERS)",
                       2)
        _serve_reloading(settings, reload_dir or [])
        return
    if reload_dir:
        raise fail("--reload-dir applies only with --reload", 2)
    if settings.ray_address is not None:  # --ray, or a cluster named in the environment
        _serve_on_ray(settings)
        return
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
            application.state.on_ready = lambda: announce_ready(settings, application)
            uvicorn.run(application, host=settings.host, port=settings.port, log_config=None,
                        proxy_headers=bool(settings.forwarded_allow_ips),
                        forwarded_allow_ips=settings.forwarded_allow_ips or None)
            return
        # Once, before any worker exists, so workers never race to migrate or create keys.
        prepare_database(settings, application.state.engine)
    except ModelworksError as exc:
        raise fail(exc.message) from exc
    announce_ready(settings, application)
    serve_forked(application, settings, run_dir)


def _serve_on_ray(settings: Settings) -> None:
    """``serve --ray``: Ray Serve replicas take the place of workers."""
    if settings.workers > 1:
        raise fail("--ray sets replicas per service (MODELWORKS_RAY_DEPLOYMENTS): leave out "
                   "--workers (and MODELWORKS_WORKERS)", 2)
    try:
        from modelworks.server.cluster.launch import serve_on_ray
    except ImportError as exc:
        raise fail(f"--ray needs Ray: pip install 'modelworks[ray]' ({exc})") from exc
    from modelworks.server.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    try:
        serve_on_ray(settings)
    except ModelworksError as exc:
        raise fail(exc.message) from exc


def _serve_reloading(settings: Settings, extra_dirs: list[Path]) -> None:
    """Uvicorn's reloader: the app is built in a fresh process, again after each change."""
    import uvicorn

    from modelworks.server.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    watched = [*_source_folders(), *(folder.resolve() for folder in extra_dirs)]
    # The reloaded process builds the app from the environment, where the options went.
    uvicorn.run("modelworks.server.app:app_from_environment", factory=True, reload=True,
                reload_dirs=[str(folder) for folder in dict.fromkeys(watched)],
                host=settings.host, port=settings.port, log_config=None)


def _source_folders() -> list[Path]:
    """The folders ``--reload`` watches: modelworks and every installed service's package.

    Found without importing a service; a folder, so watching it sees new files too.
    """
    from importlib.metadata import entry_points
    from importlib.util import find_spec

    import modelworks
    from modelworks.core.plugins import GROUP

    folders = [Path(modelworks.__file__).parent]
    for entry in entry_points(group=GROUP):
        spec = find_spec(entry.module.split(".")[0])  # a top-level package: not imported
        if spec is not None and spec.origin:
            folders.append(Path(spec.origin).parent)
    return folders


@app.command()
def dashboard(
    port: Annotated[int | None, typer.Option(
        help="Port of the dashboard (default MODELWORKS_DASHBOARD_PORT, 9000)")] = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default MODELWORKS_HOST)")]
    = None,
    api_url: Annotated[str | None, typer.Option(
        help="The API it talks to (default MODELWORKS_API_URL, else this machine at "
             "MODELWORKS_PORT)")] = None,
    local: Annotated[bool, typer.Option(
        "--local", help="Log in by itself with the admin key of MODELWORKS_HOME (a dashboard "
                        "only you reach); without it, a person logs in with a key, or "
                        "MODELWORKS_API_KEY is used")] = False,
) -> None:
    """Start the Streamlit dashboard against a running API; people log in with an API key.

    It offers what the key's scopes allow: try, history and monitoring of every service
    (predict, history), versions, training and jobs (train), promotion, rollback and keys
    (admin).
    """
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
               "--client.toolbarMode", "minimal", *(["--", "--local"] if local else [])]
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
    if service is not None:
        known_service(service)
    settings = Settings()
    regenerate = users is not None or seed is not None or seed_users is not None
    try:
        for name, svc in load_services(settings, [service] if service else None).items():
            if regenerate and not isinstance(svc, Generated) and service:
                raise fail(f"{name}'s data is not generated: --users, --seed and --seed-users "
                           "do not apply", 2)
            # How long a download takes is unknown in advance: a pulsing bar and the time.
            with working_bar(f"preparing {name}"):
                if regenerate and isinstance(svc, Generated):
                    path = svc.generate_data(settings, users=users, seed=seed,
                                             seed_users=seed_users)
                else:
                    path = svc.prepare_data(settings)
            console.print(f"[green]{name}[/green]: {path}")
    except ModelworksError as exc:
        raise fail(exc.message) from exc


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
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print each full result as JSON (per-class reports included)")] = False,
) -> None:
    """Train a new version, register it and promote it if it passes the gate."""
    if every == (service is not None):
        raise fail("name one service, or --all", 2)
    if every:
        if data is not None or model is not None:
            raise fail("--data and --model name one service's data and model; not with --all",
                       2)
        for name_of in installed_service_names():
            console.print(f"[bold]{name_of}[/bold]")
            _train_one(name_of, None, if_missing, None, name, register, as_json)
        return
    assert service is not None
    _train_one(known_service(service), data, if_missing, model, name, register, as_json)


def _train_one(service: str, data: Path | None, if_missing: bool, model: str | None, name: str,
               register: bool, as_json: bool) -> None:
    from modelworks.core.training import train_and_register

    settings = Settings()
    live = Registry.from_settings(settings).live_version(service)
    if if_missing and live is not None:
        console.print(f"{service}: version {live} is live; nothing to train")
        return
    try:
        svc = load_services(settings, [service])[service]
        path = data if data is not None else svc.prepare_data(settings)
        training_data = svc.read_training_data(path)
        with progress_bar() as report:
            result = train_and_register(svc, Registry.from_settings(settings), training_data,
                                        report, TrainOptions(model=model, name=name,
                                                             register=register))
    except ModelworksError as exc:
        raise fail(exc.message) from exc
    if as_json:
        print_json(result.to_json())
    else:
        console.print(training_summary(result), highlight=False)


@app.command()
def evaluate(
    service: ServiceArg,
    data: Annotated[Path | None, typer.Option(
        help="Labelled data in the service's training format (default: prepared data)")] = None,
    as_json: AsJson = False,
) -> None:
    """Measure a service's model.

    Services with baselines fit our model and every baseline on one split of the data and print
    their held-out metrics side by side. The others: with --data, the live model's metrics on
    that data; without, our model fitted on one split of the prepared data and measured on the
    rest (the live model was fitted on every prepared row: measured there it would flatter).
    """
    known_service(service)
    settings = Settings()
    try:
        svc = load_services(settings, [service])[service]
        path = data if data is not None else svc.prepare_data(settings)
        labelled = svc.read_training_data(path)
        if isinstance(svc, Comparable):
            with progress_bar() as report:
                table = svc.compare(labelled, report)
            payload: dict[str, Any] = {"service": service, "models": table}
            title = "held-out metrics, one split"
        elif data is None:
            fitted_on, held_out = svc.split(labelled)
            with progress_bar() as report:
                candidate = svc.fit(fitted_on, report)
            table = {"ours": svc.evaluate(candidate, held_out)}
            payload = {"service": service, "models": table, "held_out_rows": held_out.n_rows}
            title = f"held-out metrics, one split ({held_out.n_rows:,} rows held out)"
        else:
            registry = Registry.from_settings(settings)
            version = registry.live_version(service)
            if version is None:
                raise fail(f"{service} has no live model; train one with "
                           f"`modelworks train {service}`")
            live = svc.load_model(registry.verified_folder(service, version))
            metrics = svc.evaluate(live, labelled)
            table = {f"live (version {version})": metrics}
            payload = {"service": service, "version": version, "metrics": metrics}
            title = f"the live model on {path.name}"
    except ModelworksError as exc:
        raise fail(exc.message) from exc
    if as_json:
        print_json(payload)
    else:
        _print_table(f"{service}: {title}", table)


def _print_table(title: str, results: dict[str, dict[str, float]]) -> None:
    metric_names = list(dict.fromkeys(name for metrics in results.values() for name in metrics))
    table = Table("model", *metric_names, title=title)
    for model_name, metrics in results.items():
        table.add_row(model_name, *(number(metrics[m]) if m in metrics else "" for m in
                                    metric_names))
    Console(width=max(Console().width, 120)).print(table)


app.command()(predict)


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
        raise fail(str(exc)) from exc
    console.print(f"wrote {len(written)} files into {folder}; next:\n"
                  f"  pip install -e {folder}\n  modelworks data prepare {name}\n"
                  f"  modelworks train {name}\n  modelworks serve")


if __name__ == "__main__":
    app()
