"""The docs stay true: each thing the code has (a setting, an error code, a backend, a command
of the command line, a package) is documented, and each thing the docs name (a setting, a file,
an API route, a make target) exists. Everything is read from the code, never from a copied list."""

from __future__ import annotations

import ast
import itertools
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest

from belvedere.settings import Settings, env_name, settings_markdown
from belvedere.warehouses.errors import ErrorKind
from belvedere.warehouses.registry import BACKENDS

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "belvedere"
README = ROOT / "README.md"
DOCS = ROOT / "docs"
ERRORS_DOC = DOCS / "errors.md"
CLI_DOC = DOCS / "cli.md"
ARCHITECTURE = DOCS / "architecture.md"


def documents() -> dict[Path, str]:
    """The user-facing docs: the README and docs/*.md."""
    return {path: path.read_text() for path in (README, *sorted(DOCS.glob("*.md")))}


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT))


# -- settings -------------------------------------------------------------------------------


def test_readme_lists_every_setting_as_the_code_defines_it() -> None:
    assert settings_markdown() in README.read_text(), (
        "README's configuration table is out of date: run `make readme`"
    )


def test_docs_name_only_settings_that_exist() -> None:
    known = {env_name(name) for name in Settings.model_fields}
    for path, text in documents().items():
        unknown = set(re.findall(r"\bBELVEDERE_[A-Z0-9_]*[A-Z0-9]\b", text)) - known
        assert not unknown, f"{shown(path)} names settings that do not exist: {sorted(unknown)}"


# -- error codes ----------------------------------------------------------------------------

CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+")


def _status(node: ast.AST | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int and 400 <= node.value < 600:
        return node.value
    return None


def _code(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if CODE.fullmatch(node.value) else None
    return None


def _is_run_status(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "RunStatus"
    )


def _answered(tree: ast.AST) -> Iterator[tuple[str, int | None]]:
    """(code, HTTP status or None) of the error codes a module answers or records, as they are
    written: a status and a code side by side (``ApiError(404, "x", ...)``, ``(404, "x")``, a
    dict of statuses to codes or of codes to statuses), ``error_body("x", ...)``, ``code="x"``
    (an argument or an assignment), ``error_code="x"``, and the code a run is ended with after
    its status (``_end(control, RunStatus.TIMED_OUT, "x", ...)``)."""
    for node in ast.walk(tree):
        pairs: list[tuple[ast.AST | None, ast.AST | None]] = []
        if isinstance(node, ast.Call):
            args = node.args
            pairs += list(itertools.pairwise(args))
            for before, after in itertools.pairwise(args):
                if _is_run_status(before) and (code := _code(after)):
                    yield code, None
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "error_body" and args and (code := _code(args[0])):
                yield code, None
            for keyword in node.keywords:
                if keyword.arg in ("code", "error_code") and (code := _code(keyword.value)):
                    yield code, None
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "code" for target in node.targets
        ):
            if code := _code(node.value):
                yield code, None
        elif isinstance(node, ast.Tuple):
            pairs += list(itertools.pairwise(node.elts))
        elif isinstance(node, ast.Dict) and all(_status(v) for v in node.values):
            pairs += [(v, k) for k, v in zip(node.keys, node.values, strict=True)]
        elif isinstance(node, ast.Dict) and all(_status(k) for k in node.keys):
            pairs += list(zip(node.keys, node.values, strict=True))
        for first, second in pairs:
            if (status := _status(first)) and (code := _code(second)):
                yield code, status


def error_codes() -> dict[str, set[int]]:
    """Every error code a run records or the API answers, with the statuses it is answered
    with where the code says them (the web layer's table of statuses, and literals)."""
    from belvedere.web.errors import STATUS

    codes: dict[str, set[int]] = {kind.value: set() for kind in ErrorKind}
    for code, status in STATUS.items():
        codes.setdefault(code, set()).add(status)
    for path in sorted(SRC.rglob("*.py")):
        for found, maybe in _answered(ast.parse(path.read_text(), str(path))):
            codes.setdefault(found, set()).update({maybe} if maybe else set())
    return codes


def documented_errors() -> dict[str, str]:
    """Rows of docs/errors.md's tables: code -> the row's other cells."""
    rows = re.findall(r"^\| `([a-z_]+)` \|(.*)\|$", ERRORS_DOC.read_text(), re.MULTILINE)
    return dict(rows)


def test_error_codes_are_found_in_the_code() -> None:
    codes = error_codes()
    for expected in ("not_signed_in", "run_not_found", "result_expired", "internal_error"):
        assert expected in codes  # the collector still reads the code as it is written


def test_every_error_code_is_documented() -> None:
    documented = documented_errors()
    missing = sorted(set(error_codes()) - set(documented))
    assert not missing, f"add these error codes to {shown(ERRORS_DOC)}: {missing}"


def test_documented_statuses_are_those_answered() -> None:
    documented = documented_errors()
    for code, statuses in error_codes().items():
        cells = documented.get(code, "")
        for status in statuses:
            assert re.search(rf"\b{status}\b", cells), (
                f"{shown(ERRORS_DOC)}: `{code}` is answered with HTTP {status}"
            )


def test_documented_error_codes_exist() -> None:
    written = {
        node.value
        for path in SRC.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    stale = sorted(set(documented_errors()) - written - set(error_codes()))
    assert not stale, f"{shown(ERRORS_DOC)} lists codes the code never answers: {stale}"


# -- backends -------------------------------------------------------------------------------


def test_readme_names_every_backend() -> None:
    text = README.read_text()
    missing = [kind for kind in BACKENDS if f"`{kind}`" not in text]
    assert not missing, f"README.md does not name these connection kinds: {missing}"


# -- the command line -----------------------------------------------------------------------


def commands(
    group: click.Group | None = None, path: str = "belvedere"
) -> Iterator[tuple[str, click.Command]]:
    """Every command of ``belvedere`` (or under ``group``), subcommands included, by full name."""
    if group is None:
        from belvedere.cli.main import cli

        group = cli
    for name, command in sorted(group.commands.items()):
        yield f"{path} {name}", command
        if isinstance(command, click.Group):
            yield from commands(command, f"{path} {name}")


def cli_sections() -> dict[str, str]:
    """docs/cli.md's sections: heading (without arguments) -> text."""
    parts = re.split(r"^#{2,3} `([^`]+)`\s*$", CLI_DOC.read_text(), flags=re.MULTILINE)
    found: dict[str, str] = {}
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        words = heading.split()
        name = " ".join(w for w in words if not w.isupper())
        found[name] = heading + "\n" + body
    return found


def test_every_command_and_option_is_documented() -> None:
    sections = cli_sections()
    for name, command in commands():
        assert name in sections, f"{shown(CLI_DOC)} has no section `{name}`"
        section = sections[name]
        for param in command.params:
            if isinstance(param, click.Argument):
                assert param.human_readable_name in section.splitlines()[0], (
                    f"{shown(CLI_DOC)}: `{name}` takes {param.human_readable_name}"
                )
            else:
                longest = max(param.opts, key=len)
                assert f"`{longest}`" in section, f"{shown(CLI_DOC)}: `{name} {longest}`"


def test_documented_commands_exist() -> None:
    known = {name for name, _ in commands()}
    stale = sorted(set(cli_sections()) - known)
    assert not stale, f"{shown(CLI_DOC)} documents commands that do not exist: {stale}"


# -- layout, files, routes, make targets ----------------------------------------------------


def test_architecture_layout_lists_every_package_and_module() -> None:
    layout = ARCHITECTURE.read_text().split("## Layout", 1)[1]
    names = [f"{p.parent.name}/" for p in SRC.glob("*/__init__.py")]
    names += [p.name for p in SRC.glob("*.py") if not p.name.startswith("__")]
    missing = sorted(n for n in names if not re.search(rf"^ +{re.escape(n)} ", layout, re.M))
    assert not missing, f"{shown(ARCHITECTURE)}'s Layout does not list: {missing}"


FILE = re.compile(r"`(\w[\w./-]*\.(?:py|md|sql|js|mjs|css|toml|txt|sh|json|html))`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_docs_name_files_that_exist() -> None:
    """A file is named by its path from the repository, or by the end of it (from
    src/belvedere, from tests, or beside the folder the text is about)."""
    files = [
        path.relative_to(ROOT).as_posix()
        for folder in ("src", "tests", "frontend", "scripts", "bench", "docs")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "node_modules" not in path.parts
    ]
    missing = []
    for path, text in documents().items():
        missing += [
            f"{shown(path)}: `{name}`"
            for name in FILE.findall(text)
            if not (ROOT / name).exists() and not any(f.endswith(f"/{name}") for f in files)
        ]
        missing += [
            f"{shown(path)}: link to {link}"
            for link in LINK.findall(text)
            if "://" not in link and not (path.parent / link).exists()
        ]
    assert not missing, "the docs name files that do not exist:\n" + "\n".join(missing)


ROUTE = re.compile(r"(?<![\w.])/(?:api|auth)/[\w{}/.-]*[\w}]")


@pytest.fixture(scope="module")
def served() -> Iterator[Callable[[str], bool]]:
    """Whether the app serves a path (any method; path parameters may be ``{name}``): the path
    is matched, and never run, as an ``OPTIONS`` request, which a route answers 405."""
    from belvedere.services import Services
    from tests.support.web.client import app_clients

    with tempfile.TemporaryDirectory() as folder:
        services = Services(Settings(data_dir=Path(folder), demo=False))
        try:
            with app_clients(services) as make:
                client = make()

                def serves(path: str) -> bool:
                    concrete = re.sub(r"\{[^}]*\}", "1", path)
                    return client.options(concrete).status_code != 404

                yield serves
        finally:
            services.close()


def test_docs_name_routes_that_exist(served: Callable[[str], bool]) -> None:
    missing = [
        f"{shown(path)}: {route}"
        for path, text in documents().items()
        for route in sorted(set(ROUTE.findall(text)) - {"/api/v1"})
        if not served(route)
    ]
    assert not missing, "the docs name routes the app does not serve:\n" + "\n".join(missing)


def test_docs_name_make_targets_that_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, re.MULTILINE))
    for path, text in documents().items():
        for target in re.findall(r"(?:`|^)make ([a-z][\w-]*)", text, re.MULTILINE):
            assert target in targets, f"{shown(path)}: `make {target}`"


def test_quickstart_is_two_commands() -> None:
    quickstart = README.read_text().split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = quickstart.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in block.splitlines()] == [["make", "run"], ["make", "test"]]
