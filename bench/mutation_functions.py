"""Which functions of a rule module changed since its last mutation run.

mutmut names a mutant after its function and numbers it within that function
(`skills.permissions.x_can_view__mutmut_3`, `...xǁMenteeProgressǁdone__mutmut_1`), so
the mutants of a function whose code is unchanged are the same mutants as last time.
`--again` on a changed module runs every mutant of the functions that are new or
changed, and carries the verdicts of the others over (running again, as for an
unchanged module, those that were not killed). That holds only while the code outside
the functions (imports, constants, classes' bodies) has at most gained statements: a
changed or removed one can change what any function does, so the module is run whole.
Imports count name by name: an import dropped because nothing uses the name any more
changes no function (one still using it would fail on the missing name). Star and
`__future__` imports always count; an import kept only for what importing does
(registering listeners) would be missed when dropped, and the rule modules have none.
"""

import ast
import hashlib
import subprocess
from pathlib import Path


def function_hashes(source: str) -> dict[str, str]:
    """Each function mutmut mutates (module level and methods), by the prefix of its
    mutants' names, with a hash of its code: its syntax tree, so comments and layout
    do not count, while decorators, the docstring and the body do."""
    hashes: dict[str, str] = {}

    def add(prefix: str, node: ast.AST) -> None:
        hashes[prefix] = hashlib.sha256(ast.dump(node).encode()).hexdigest()[:16]

    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            add(f"x_{node.name}", node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    add(f"xǁ{node.name}ǁ{item.name}", item)
    return hashes


def module_code(source: str) -> list[str]:
    """A hash of each statement outside the functions mutmut mutates: imports, constants,
    class attributes (a class's methods are in `function_hashes`)."""
    digests = []

    def add(node: ast.AST) -> None:
        digests.append(hashlib.sha256(ast.dump(node).encode()).hexdigest()[:16])

    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    add(item)
            add(ast.ClassDef(name=node.name, bases=node.bases, keywords=node.keywords))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            digests.extend(_binding_digest(binding) for _, binding in _bindings(node))
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            add(node)
    return digests


def _bindings(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    """The names an import statement binds, each with what it binds it to (`import a.b`
    binds `a`, and is told from `import a.c` by its whole path)."""
    where = f"{'.' * node.level}{node.module}." if isinstance(node, ast.ImportFrom) else ""
    return [
        (
            alias.asname or alias.name.partition(".")[0],
            f"{alias.asname or alias.name} = {where}{alias.name}",
        )
        for alias in node.names
    ]


def _binding_digest(binding: str) -> str:
    return hashlib.sha256(f"import {binding}".encode()).hexdigest()[:16]


def outside_changes(old: str, new: str) -> set[str]:
    """Digests of the statements outside the functions that `old` has and `new` has not
    (changed or removed), leaving out imports of names `new` no longer uses."""
    tree = ast.parse(new)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    unused = {
        _binding_digest(binding)
        for node in ast.parse(old).body
        if isinstance(node, ast.Import | ast.ImportFrom)
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        for name, binding in _bindings(node)
        if name not in used and name != "*"  # a star import binds names unseen here
    }
    return set(module_code(old)) - set(module_code(new)) - unused


def function_of(dotted_module: str, mutant: str) -> str:
    """skills.permissions.x_can_view__mutmut_3 -> x_can_view."""
    return mutant.removeprefix(dotted_module + ".").rpartition("__mutmut_")[0]


def source_at_hash(root: Path, module: str, short_sha256: str) -> str | None:
    """The module's text as some commit holds it whose sha256 starts with
    `short_sha256` (a run made before the report kept function hashes); None if none."""
    revisions = subprocess.run(  # noqa: S603 - git with our own arguments
        ["git", "log", "--format=%H", "--", module],  # noqa: S607
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for revision in revisions:
        text = subprocess.run(  # noqa: S603
            ["git", "show", f"{revision}:{module}"],  # noqa: S607
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
        if hashlib.sha256(text).hexdigest().startswith(short_sha256):
            return text.decode()
    return None


def changed_functions(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The functions of `now` that are new or whose code differs from `before`."""
    return sorted(name for name, digest in now.items() if before.get(name) != digest)
