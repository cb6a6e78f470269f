"""The core's routes: registry, training jobs, health (mixed into ``modelworks.client.Client``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelworks.client._http import ApiError
from modelworks.client.results import Job, JobStarted, Readiness, ServiceModels

if TYPE_CHECKING:
    from modelworks.client._http import Transport

POLL_SECONDS = 0.5


class CoreRoutes:
    """Registry (``admin`` scope), jobs (``train`` scope) and the operational routes."""

    _http: Transport

    # -- registry --------------------------------------------------------------------------
    def models(self) -> dict[str, ServiceModels]:
        """``GET /models``: every enabled service's versions and live model."""
        answer: dict[str, Any] = self._http.json("GET", "/models")
        return {name: ServiceModels.model_validate(status) for name, status in answer.items()}

    def model(self, service: str) -> ServiceModels:
        """``GET /models/{service}``: one service's versions, live and loaded model."""
        return ServiceModels.model_validate(self._http.json("GET", f"/models/{service}"))

    def promote(self, service: str, version: int) -> ServiceModels:
        """``PUT /models/{service}/live``: make ``version`` live; the service's state after.

        Every worker serves it within the server's poll interval.
        """
        return ServiceModels.model_validate(
            self._http.json("PUT", f"/models/{service}/live", json={"version": version}))

    # -- jobs ------------------------------------------------------------------------------
    def start_job(self, service: str, data: bytes | Path | None = None, *,
                  model: str | None = None, name: str = "", register: bool = True
                  ) -> JobStarted:
        """``POST /models/{service}/train``: queue a training job.

        ``data``: training data in the service's format (absent: the server's prepared
        data); ``model``: the kind, where a service offers several; ``register=False``
        evaluates only. Bad data is refused at once (400), not in a failed job.
        """
        form = {"name": name, "register": str(register).lower(),
                **({"model": model} if model else {})}
        files = None
        if data is not None:
            upload = data.read_bytes() if isinstance(data, Path) else data
            files = {"file": (data.name if isinstance(data, Path) else "data", upload)}
        return JobStarted.model_validate(self._http.json(
            "POST", f"/models/{service}/train", data=form, files=files))

    def job(self, job_id: str) -> Job:
        """``GET /jobs/{id}``: a job's state, progress, result or error."""
        return Job.model_validate(self._http.json("GET", f"/jobs/{job_id}"))

    def jobs(self, service: str | None = None, *, limit: int = 50) -> list[Job]:
        """``GET /jobs``: recent jobs, newest first."""
        params: dict[str, Any] = {"limit": limit, **({"service": service} if service else {})}
        return [Job.model_validate(job)
                for job in self._http.json("GET", "/jobs", params=params)["jobs"]]

    def cancel_job(self, job_id: str) -> Job:
        """``DELETE /jobs/{id}``: cancel a queued or running job."""
        return Job.model_validate(self._http.json("DELETE", f"/jobs/{job_id}"))

    def wait_for_job(self, job_id: str, *, on_update: Callable[[Job], None] | None = None,
                     poll_seconds: float = POLL_SECONDS, timeout: float | None = None) -> Job:
        """Poll a job until it succeeds, fails or is cancelled; its last state.

        ``on_update`` sees every state read (e.g. to move a progress bar). Past ``timeout``
        seconds an ``ApiError`` says the job is still running (it keeps running).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if on_update is not None:
                on_update(job)
            if job.finished:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise ApiError(f"job {job_id} is still {job.state} after {timeout} s")
            time.sleep(poll_seconds)

    # -- operations ------------------------------------------------------------------------
    def health(self) -> bool:
        """``GET /healthz``: the server answers."""
        return bool(self._http.json("GET", "/healthz").get("status") == "ok")

    def ready(self) -> Readiness:
        """``GET /readyz``: whether every enabled service has a warmed live model.

        A 503 is read too: it says which service is not ready.
        """
        try:
            answer = self._http.send("GET", "/readyz")
        except ApiError as exc:
            if exc.status != 503 or exc.body is None:
                raise
            return Readiness.model_validate(exc.body)
        return Readiness.model_validate(answer.json())

    def openapi(self) -> dict[str, Any]:
        """``GET /openapi.json``: the server's API document."""
        document: dict[str, Any] = self._http.json("GET", "/openapi.json")
        return document
