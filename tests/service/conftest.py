"""Fixtures of the service tests that run the `xietong` command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def cli_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where `xietong demo` ran once (its x.db and the seal authority's passphrase file): the
    tests that only need a demo install before the command they test copy it (`demo_copy`) rather than
    pay ~2 s of `xietong demo` each; the demo command itself is tested on its own."""
    from tests.service.test_cli import xietong
    folder = tmp_path_factory.mktemp("cli-demo")
    out = xietong(folder / "x.db", "demo")
    assert out.returncode == 0, out.stderr
    return folder


def demo_copy(cli_demo: Path, folder: Path) -> Path:
    """The demo install copied into `folder` (every file, so nothing of SQLite's is left behind): its x.db."""
    shutil.copytree(cli_demo, folder, dirs_exist_ok=True)
    return folder / "x.db"
