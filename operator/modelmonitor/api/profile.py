"""The reference profile: what the model's training data looked like, binned once.

Built by ``modelmonitor profile`` from training data and shipped to the sidecars in a ConfigMap.
The sidecars bin live traffic with exactly these edges and categories, so every pod's counts are
comparable with the reference and with each other (a sum merges them). Raw training data never
leaves the machine that built the profile.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

PROFILE_VERSION = 1


class ProfileModel(BaseModel):
    """Base of the profile models: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class NumericProfile(ProfileModel):
    """A numeric column: bin edges from its quantiles and the reference counts in each bin.

    Bins are ``(-inf, e0)``, ``[e0, e1)``, ..., ``[e_{k-1}, e_k]``, ``(e_k, +inf)``: an underflow bin,
    the inner bins (the last one closed), and an overflow bin, so ``len(counts) == len(edges) + 1``.
    ``sums`` holds the sum of the values in each bin (the tails' first moment), so that distances
    that need values and not just ranks (Wasserstein) stay accurate on heavy tails.
    """

    type: Literal["numeric"] = "numeric"
    name: str = Field(min_length=1, description="Column name.")
    edges: list[float] = Field(min_length=1, description="Increasing bin edges.")
    counts: list[int] = Field(description="Reference rows per bin, len(edges) + 1 of them.")
    sums: list[float] = Field(description="Sum of the reference values in each bin.")
    nulls: int = Field(default=0, ge=0, description="Null or missing values.")
    mean: float = Field(description="Mean of the non-null values.")
    std: float = Field(ge=0, description="Standard deviation of the non-null values.")

    @model_validator(mode="after")
    def _shapes_agree(self) -> Self:
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"{self.name}: edges must increase strictly")
        if len(self.counts) != len(self.edges) + 1 or len(self.sums) != len(self.counts):
            raise ValueError(f"{self.name}: counts and sums need len(edges) + 1 entries")
        return self

    @property
    def rows(self) -> int:
        """Non-null reference rows."""
        return sum(self.counts)


class CategoricalProfile(ProfileModel):
    """A categorical column: its most frequent values, and everything else as 'other'.

    ``counts`` has one entry per category and a last one for values outside ``categories``.
    """

    type: Literal["categorical"] = "categorical"
    name: str = Field(min_length=1, description="Column name.")
    categories: list[str] = Field(description="The reference's most frequent values, most frequent first.")
    counts: list[int] = Field(description="Reference rows per category, then the 'other' count.")
    nulls: int = Field(default=0, ge=0, description="Null or missing values.")

    @model_validator(mode="after")
    def _shapes_agree(self) -> Self:
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"{self.name}: categories must be distinct")
        if len(self.counts) != len(self.categories) + 1:
            raise ValueError(f"{self.name}: counts needs len(categories) + 1 entries")
        return self

    @property
    def rows(self) -> int:
        """Non-null reference rows."""
        return sum(self.counts)


ColumnProfile = Annotated[NumericProfile | CategoricalProfile, Field(discriminator="type")]


class ReferenceProfile(ProfileModel):
    """The profile of a reference dataset: one entry per feature, and optionally the prediction."""

    version: int = Field(default=PROFILE_VERSION, description="Format version of this profile.")
    source: str = Field(default="", description="Where the reference data came from (a file name).")
    rows: int = Field(ge=0, description="Rows in the reference dataset.")
    features: list[ColumnProfile] = Field(description="Per-feature profiles, in column order.")
    prediction: ColumnProfile | None = Field(default=None, description="Profile of the model's predictions.")

    @model_validator(mode="after")
    def _known_version(self) -> Self:
        if self.version != PROFILE_VERSION:
            raise ValueError(f"profile version {self.version} is not supported (expected {PROFILE_VERSION})")
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ValueError("feature names must be distinct")
        return self

    def feature(self, name: str) -> NumericProfile | CategoricalProfile:
        """The profile of feature ``name``; ``KeyError`` naming it when absent."""
        for column in self.features:
            if column.name == name:
                return column
        raise KeyError(f"feature {name!r} is not in the reference profile")
