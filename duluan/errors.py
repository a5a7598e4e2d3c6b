"""One error hierarchy for the whole product; the CLI turns these into one clear line."""

from __future__ import annotations


class DuluanError(Exception):
    """Base of every error the product reports to a user."""


class ConfigError(DuluanError):
    """A config file or environment setting is missing or invalid (message names file and key)."""


class FetchError(DuluanError):
    """A URL could not be fetched (network, HTTP status, size, policy)."""


class ExtractError(DuluanError):
    """A fetched page holds no extractable article."""


class IndexError_(DuluanError):  # noqa: N801 - trailing underscore avoids the builtin
    """The article index failed or was asked something it cannot do."""


class QuerySyntaxError(IndexError_):
    """A user's search query is malformed (unbalanced quotes, stray operators)."""


class IngestError(DuluanError):
    """An input record (JSONL line) is malformed."""


class PolicyError(DuluanError):
    """A request was refused by a safety policy (e.g. SSRF guard)."""


class WorkflowError(DuluanError):
    """An illegal alert workflow transition."""
