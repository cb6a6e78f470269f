"""What the catalogue routes read, for the OpenAPI document (``schemas.py`` parses the bodies).

The bodies are read by hand, so each error names the field as the 400s promise; these models
only describe them, with the README's examples, so Swagger UI shows a body to try.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from modelworks.services.similarity.schemas import DEFAULT_TOP_K, MAX_PRODUCTS_PER_BATCH


class ProductBody(BaseModel):
    """One product; any other member is an attribute that ``filters`` can match."""

    model_config = ConfigDict(extra="allow")

    id: str | int = Field(description="Unique in the catalogue; the same id replaces")
    description: str = Field(description="What the search ranks by meaning")


class ProductsBody(BaseModel):
    """``POST /catalogs/{name}/products``."""

    products: list[ProductBody] = Field(
        min_length=1, max_length=MAX_PRODUCTS_PER_BATCH,
        description=f"Up to {MAX_PRODUCTS_PER_BATCH} products")


class IdsBody(BaseModel):
    """``DELETE /catalogs/{name}/products``."""

    ids: list[str | int] = Field(min_length=1, max_length=MAX_PRODUCTS_PER_BATCH,
                                 description="The products to remove")


class SearchBody(BaseModel):
    """``POST /catalogs/{name}/search``."""

    query: str = Field(description="A shopper's query")
    top_k: int = Field(default=DEFAULT_TOP_K, ge=1, description="Most results")
    min_score: float | None = Field(default=None,
                                    description="Leave out results scoring below this")
    filters: dict[str, Any] = Field(default_factory=dict,
                                    description="Attributes the products must have, exactly")


PRODUCTS_EXAMPLE = {"products": [
    {"id": "saw-1", "description": "Japanese pull saw for fine joinery in hardwood",
     "department": "tools", "price": 34.5},
    {"id": "saw-2", "description": "Cordless circular saw with a carbide blade",
     "department": "tools", "price": 129},
    {"id": "bear", "description": "Soft plush teddy bear, machine washable",
     "department": "toys", "price": 19}]}
SEARCH_EXAMPLES = {
    "a query": {"query": "what can I use to cut wood?", "top_k": 2},
    "a query within one department": {"query": "a gift for a toddler",
                                      "filters": {"department": "toys"}},
}
IDS_EXAMPLE = {"ids": ["saw-2"]}
