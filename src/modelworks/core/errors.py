"""Errors that carry an HTTP meaning; one exception handler maps them to JSON responses."""

from __future__ import annotations


class ModelworksError(Exception):
    """Base class: an error with a status code and a message safe to show a client."""

    status_code = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers: dict[str, str] = {}


class DataError(ModelworksError):
    """The client sent data that cannot be used (bad CSV, missing column, ...)."""

    status_code = 400


class PayloadTooLarge(DataError):
    """An upload is larger than the configured limit."""

    status_code = 413


class NoLiveModel(ModelworksError):
    """A prediction was asked for before any model of the service is live."""

    status_code = 409


class NotFound(ModelworksError):
    """A named thing (service, version, record) does not exist."""

    status_code = 404


class RegistryError(ModelworksError):
    """The registry is inconsistent: a hash mismatch, a missing file, a bad manifest."""

    status_code = 500


class RegistryUnwritable(RegistryError):
    """The registry's folder cannot be written (permissions, a full or read-only disk)."""

    status_code = 503


class RegistryUnreachable(RegistryError):
    """The registry's store (an object store, a remote file system) cannot be reached or used."""

    status_code = 503


class BrokenVersion(RegistryError):
    """A version asked to go live fails verification; the live alias stays where it was."""

    status_code = 409


class TrainingFailed(ModelworksError):
    """A training job ended without a model (its error says why)."""

    status_code = 500


class DeadlineExceeded(ModelworksError):
    """A request computed for longer than its share of time; its work was stopped."""

    status_code = 503


class ClientGone(ModelworksError):
    """The client closed the connection; the work it asked for was stopped (nobody reads this)."""

    status_code = 499


class PackageUnavailable(ModelworksError):
    """Default data could not be fetched from the package registry (network, index, name)."""

    status_code = 503
