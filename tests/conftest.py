"""Shared fixtures: paths to the repository, the seed corpus and ../shared, and one seed build."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KG_SHARED", REPO.parent / "shared"))
SEEDS = REPO / "seeds"
SEED_FILE = next(SEEDS.glob("*.md"))


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside the repository")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory):
    """The seed corpus built once per test session into a temporary folder."""
    import kg

    out = tmp_path_factory.mktemp("seed-out")
    graph = kg.build([SEEDS], out=out, validate=True)
    return graph, out


def require_tool(path_or_name: str, why: str) -> str:
    """The path of a system tool; skip the test when missing (fail under KG_REQUIRE_SYSTEM=1)."""
    import shutil

    found = shutil.which(path_or_name) or (path_or_name if Path(path_or_name).exists() else None)
    if found:
        return found
    message = f"{path_or_name} is not installed ({why}); run `bash .ci/system-deps` as root"
    if os.environ.get("KG_REQUIRE_SYSTEM") == "1":
        pytest.fail(message)
    pytest.skip(message)
