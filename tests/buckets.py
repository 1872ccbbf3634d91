"""The environment that puts a shop's files in a fresh prefix of the SeaweedFS bucket (the session's
`s3_endpoint`), shared by the file-store tests."""

from __future__ import annotations

import secrets

import pytest


def bucket_env(endpoint: str, monkeypatch: pytest.MonkeyPatch, mode: str | None = None) -> dict[str, str]:
    """`PAIDPDF_FILES_URL` and friends for a prefix of its own; `mode` sets `PAIDPDF_S3_DOWNLOADS`."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "paidpdf-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "paidpdf-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    env = {
        "PAIDPDF_FILES_URL": f"s3://paidpdf-tests/{secrets.token_hex(4)}",  # a prefix per test
        "PAIDPDF_S3_ENDPOINT_URL": endpoint,
    }
    if mode is not None:
        env["PAIDPDF_S3_DOWNLOADS"] = mode
    return env
