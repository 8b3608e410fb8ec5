"""pyproject.toml and requirements/*.in name the same dependencies (DEVELOPERS.md's fixed
decision), so a package added to one and forgotten in the other fails here, not on a user's
machine."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _names_in(requirements_file: Path) -> set[str]:
    lines = requirements_file.read_text().splitlines()
    return {_name(line) for line in lines if line.strip() and not line.startswith(("#", "-"))}


def test_pyproject_and_requirements_in_list_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = {_name(r) for r in project["dependencies"]}
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}

    assert base == _names_in(ROOT / "requirements" / "base.in")
    assert dev == _names_in(ROOT / "requirements" / "dev.in")
