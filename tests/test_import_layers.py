"""The apps' layers and the ban on import cycles (pyproject.toml, [tool.importlinter]), which
`make check` runs as `lint-imports`. These tests keep the contracts honest: they cover every app
of the project, they hold on today's code, and the cycle contract sees what it claims to."""

import tomllib
from pathlib import Path

import grimp
from django.apps import apps
from importlinter.cli import lint_imports

from tests.import_contracts import NoCyclesContract, import_cycles

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _contract(contract_id: str) -> dict:
    return next(c for c in CONFIG["contracts"] if c.get("id") == contract_id)


def _project_apps() -> set[str]:
    """The installed apps whose code is this repository's (not Django's, nor a library's)."""
    return {config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT}


def test_the_contracts_cover_every_app_of_the_project():
    """A new app left out of root_packages would never be checked at all."""
    assert set(CONFIG["root_packages"]) == _project_apps() | {"privacy_portal"}


def test_every_app_has_exactly_one_layer():
    layers = _contract("layers")["layers"]
    placed = [name.strip() for layer in layers for name in layer.split("|")]

    assert sorted(placed) == sorted(CONFIG["root_packages"])
    assert placed[-1] == "core"


def test_the_project_keeps_every_import_contract(monkeypatch):
    monkeypatch.chdir(ROOT)

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_module(importer)
        graph.add_module(imported)
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_a_package_that_its_own_submodule_imports_back_is_a_cycle():
    # The shape acyclic_siblings cannot see: no two siblings import each other.
    graph = _graph(("app.services", "app.services.codes"), ("app.services.codes", "app.services"))

    assert import_cycles(graph) == [
        ("app.services", "app.services.codes", "app.services"),
        ("app.services.codes", "app.services", "app.services.codes"),
    ]


def test_a_cycle_through_a_lazy_import_in_another_app_is_a_cycle():
    graph = _graph(
        ("requests_app.staff_actions", "fulfilment.services"),
        ("fulfilment.services", "requests_app.staff_actions"),
        ("fulfilment.services", "core.mail"),
    )

    contract = NoCyclesContract(name="no cycles", session_options={}, contract_options={})
    check = contract.check(graph, verbose=False)

    assert not check.kept
    assert ("fulfilment.services", "requests_app.staff_actions", "fulfilment.services") in (
        check.metadata["cycles"]
    )


def test_imports_that_only_go_down_make_no_cycle():
    graph = _graph(
        ("staff.views", "fulfilment.services"),
        ("fulfilment.services", "requests_app.services"),
        ("requests_app.services", "registry.models"),
        ("staff.views", "registry.models"),
    )

    assert import_cycles(graph) == []
