"""Everything a service author uses.

Services import from here and from ``modelworks.core``, never from ``modelworks.server``:

- the service protocol and what the core lends a service (``Service``, ``ServiceContext``,
  ``TrainingData``, the optional ``Comparable``, ``Generated``, ``Selectable``, ``Detailed``,
  ``Rooted``);
- access rules for routes (``PredictKey``, ``TrainKey``, ``HistoryKey``, ``AdminKey``,
  ``ContractPredict``, ``ContractTrain``);
- request reading with 4xx errors that name the problem (``parse_json_body``,
  ``read_small_body``, ``read_form``, the hand-parsed query values of ``params``);
- prediction endpoints declared as data (``Endpoint``, ``JsonBody``, ``CsvUpload``,
  ``PathAndQuery``, ``QueryOption``, ``Example``, ``Received``, ``Answer``, ``Loaded``);
- a service's own settings (``ServiceSettings``, read from ``MODELWORKS_<SERVICE>__<FIELD>``);
- models on disk without pickle (``load_shared``), training data from an upload or a file
  (``source_bytes``), the usual promotion rule (``gate_on_metric``);
- the table base for a service's own tables (``Base``, ``utcnow``), the request id, progress
  and the errors the core maps to HTTP statuses.

``modelworks new service NAME --dir PATH`` writes a working service that uses only these.
"""

from modelworks.core.arrays import load_shared
from modelworks.core.errors import (
    DataError,
    ModelworksError,
    NoLiveModel,
    NotFound,
    PayloadTooLarge,
)
from modelworks.core.gate import gate_on_metric
from modelworks.core.live import Loaded
from modelworks.core.progress import Progress, creeping, no_progress
from modelworks.core.quality import Monitored, QualitySignal
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
    source_bytes,
)
from modelworks.core.settings import ServiceSettings, Settings
from modelworks.sdk.access import (
    AdminKey,
    AnyKey,
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
from modelworks.sdk.endpoints import (
    Answer,
    CsvUpload,
    Endpoint,
    Example,
    JsonBody,
    PathAndQuery,
    QueryOption,
    Received,
)
from modelworks.sdk.params import Bounds, flag, float_param, int_param, openapi_parameters
from modelworks.sdk.requests import request_id
from modelworks.sdk.uploads import Form, openapi_form, read_form

__all__ = [
    "AdminKey",
    "Answer",
    "AnyKey",
    "Base",
    "Bounds",
    "Comparable",
    "ContractPredict",
    "ContractTrain",
    "CsvUpload",
    "DataError",
    "Detailed",
    "Endpoint",
    "Example",
    "FeedbackSink",
    "Form",
    "GateDecision",
    "Generated",
    "HistoryKey",
    "JsonBody",
    "Loaded",
    "Metrics",
    "Model",
    "ModelworksError",
    "Monitored",
    "NoLiveModel",
    "NotFound",
    "PathAndQuery",
    "PayloadTooLarge",
    "PredictKey",
    "PredictionSink",
    "Principal",
    "Progress",
    "QualitySignal",
    "QueryOption",
    "Received",
    "Requirement",
    "Rooted",
    "Scope",
    "Selectable",
    "Service",
    "ServiceContext",
    "ServiceSettings",
    "Settings",
    "TrainKey",
    "TrainOptions",
    "TrainingData",
    "creeping",
    "flag",
    "float_param",
    "gate_on_metric",
    "int_param",
    "load_shared",
    "no_progress",
    "openapi_form",
    "openapi_json_body",
    "openapi_parameters",
    "parse_json_body",
    "read_form",
    "read_small_body",
    "request_id",
    "source_bytes",
    "utcnow",
]
