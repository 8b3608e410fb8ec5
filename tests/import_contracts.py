"""An import-linter contract the built-in ones leave out: no import cycle at all, between any two
modules (pyproject.toml, [tool.importlinter]; `make check` runs `lint-imports`).

import-linter's `acyclic_siblings` finds cycles between the children of a package, at every
depth, but not one between a package and its own submodule (a package's __init__ that imports
a submodule which imports the package back). This one asks, for every import A -> B, whether
B leads back to A: that is a cycle, whatever the modules' places in the tree. A lazy import
inside a function counts as any other, as it does for every import-linter contract.
"""

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain.contract import Contract, ContractCheck


def import_cycles(graph: ImportGraph) -> list[tuple[str, ...]]:
    """One shortest cycle through each import that lies on a cycle, as the chain of modules from
    the importer back to itself."""
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append((importer, *back))
    return cycles


class NoCyclesContract(Contract):
    """No module imports itself through others, among the root packages."""

    type_name = "no_cycles"

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        cycles = import_cycles(graph)
        return ContractCheck(kept=not cycles, metadata={"cycles": cycles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("These imports lead back to the module that makes them:")
        output.new_line()
        for cycle in check.metadata["cycles"]:
            output.print_error(f"- {' -> '.join(cycle)}", bold=False)
        output.new_line()
