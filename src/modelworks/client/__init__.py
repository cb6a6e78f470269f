"""A typed Python client of a modelworks server.

::

    from modelworks.client import Client

    with Client("http://127.0.0.1:8000", api_key="mw_...") as api:
        print(api.recommend(25, "F", "student").recommendations)
        print(api.classify_resume("Oracle DBA with 8 years of RMAN").category)

One method per route (``interests``, ``recommend``, ``predict_genres``, ``classify_resume``,
``rank_products``, ``models``, ``start_job``, ...), each returning a pydantic model from
``modelworks.client.results``; refusals raise ``ApiError``. ``ApiClient`` is the untyped
JSON client the dashboard still uses.
"""

from modelworks.client._http import ApiError, ApiUnreachable
from modelworks.client.api import Client
from modelworks.client.legacy import ApiClient

__all__ = ["ApiClient", "ApiError", "ApiUnreachable", "Client"]
