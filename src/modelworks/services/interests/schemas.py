"""Request body of ``POST /interests/users`` and the words its 400 messages use."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_TOP_K = 100
MAX_USERS_PER_REQUEST = 1000
MAX_CONSUMED = 10_000

USERS_EXPECTED = {
    "users": f"a list of 1 to {MAX_USERS_PER_REQUEST} objects with user_handle (UUID), name, "
             f"type (B2B or B2C) and consumed (up to {MAX_CONSUMED} title ids)",
}
USERS_EXAMPLE = {"users": [{"user_handle": "0b7e4c3a-5f0e-4d8a-9a57-2f1d3c4b5a69",
                            "name": "Mirela", "type": "B2C", "consumed": [12, 345, 1001]}]}


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")
    return text


TitleId = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]  # what the int64 arrays can hold


class UserActivity(BaseModel):
    """One user and every title they consumed (replaces what was stored before)."""

    model_config = ConfigDict(extra="forbid")

    user_handle: UUID = Field(description="The user's handle")
    name: Annotated[str, AfterValidator(_no_nul)] = Field(min_length=1, max_length=200,
                                                          description="Display name")
    type: Literal["B2B", "B2C"] = Field(description="Account type")
    consumed: list[TitleId] = Field(default_factory=list, max_length=MAX_CONSUMED,
                                description="Ids of the titles the user consumed "
                                            "(from the catalogue's titles.csv)")


class UsersRequest(BaseModel):
    """Users to add or update."""

    model_config = ConfigDict(extra="forbid")

    users: list[UserActivity] = Field(min_length=1, max_length=MAX_USERS_PER_REQUEST)


class Interest(BaseModel):
    """One interest of a user."""

    id: str = Field(description="The interest's id (a UUID)")
    label: str = Field(description="What the interest is")
    probability: float = Field(ge=0, le=1, description="How likely the user holds it")


class UserInterests(BaseModel):
    """A user and their top interests, best first (the MLE Interview contract's shape)."""

    user_handle: str
    name: str
    type: Literal["B2B", "B2C"]
    interests: list[Interest]
