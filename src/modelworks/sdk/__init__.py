"""Everything a service author uses.

Services import from here and from ``modelworks.core``, never from ``modelworks.server``:

- the service protocol and what the core lends a service (``Service``, ``ServiceContext``,
  ``TrainingData``, the optional ``Comparable``, ``Generated``, ``Selectable``, ``Detailed``,
  ``Rooted``);
- access rules for routes (``PredictKey``, ``TrainKey``, ``HistoryKey``, ``AdminKey``,
  ``ContractPredict``, ``ContractTrain``);
- request reading with 4xx errors that name the problem (``parse_json_body``,
  ``read_small_body``, ``read_form``, the hand-parsed query values of ``params``);
- the table base for a service's own tables (``Base``, ``utcnow``), the request id, progress
  and the errors the core maps to HTTP statuses.
"""

from modelworks.core.errors import (
    DataError,
    ModelworksError,
    NoLiveModel,
    NotFound,
    PayloadTooLarge,
)
from modelworks.core.progress import Progress, no_progress
from modelworks.core.service import (
    Comparable,
    Detailed,
    FeedbackSink,
    GateDecision,
    Generated,
    Metrics,
    Model,
    PredictionSink,
    Rooted,
    Selectable,
    Service,
    ServiceContext,
    TrainingData,
    TrainOptions,
)
from modelworks.sdk.access import (
    AdminKey,
    ContractPredict,
    ContractTrain,
    HistoryKey,
    PredictKey,
    Principal,
    Requirement,
    Scope,
    TrainKey,
)
from modelworks.sdk.bodies import openapi_json_body, parse_json_body, read_small_body
from modelworks.sdk.database import Base, utcnow
from modelworks.sdk.params import Bounds, flag, float_param, int_param, openapi_parameters
from modelworks.sdk.requests import request_id
from modelworks.sdk.uploads import Form, openapi_form, read_form

__all__ = [
    "AdminKey", "Base", "Bounds", "Comparable", "ContractPredict", "ContractTrain", "DataError",
    "Detailed", "FeedbackSink", "Form", "GateDecision", "Generated", "HistoryKey", "Metrics",
    "Model", "ModelworksError", "NoLiveModel", "NotFound", "PayloadTooLarge", "PredictKey",
    "PredictionSink", "Principal", "Progress", "Requirement", "Rooted", "Scope", "Selectable",
    "Service", "ServiceContext", "TrainKey", "TrainOptions", "TrainingData", "flag",
    "float_param", "int_param", "no_progress", "openapi_form", "openapi_json_body",
    "openapi_parameters", "parse_json_body", "read_form", "read_small_body", "request_id",
    "utcnow",
]
