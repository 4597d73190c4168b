"""``pyproject.toml`` as a requirement source: PEP 621 ``[project]``, PEP 735 ``[dependency-groups]``, Poetry
(``[tool.poetry]``, also next to a Poetry 2 ``[project]``) and PDM ``[tool.pdm.dev-dependencies]``.

Which groups count follows the ``dependencyGroups`` setting; ``"default"`` means what each tool installs
by default: Poetry every group not marked ``optional = true`` (and the old ``dev-dependencies``); PDM every
dev-dependency group (and every ``[dependency-groups]`` group of a PDM project); otherwise uv's
``[tool.uv] default-groups`` (``"all"`` or a list; without it ``["dev"]``). Extra and group names
compare normalised (PEP 685, PEP 735).

Values come from ``tomllib``; their positions from :mod:`venvkeeper.requirements.tomlpos`, because
``tomllib`` keeps none. A TOML syntax error is one ``toml-syntax`` finding at the line and column
``tomllib`` names. One bad entry is a finding on its own string; the rest is still read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from venvkeeper import fsread
from venvkeeper.findings import FILE_START, Finding, Span
from venvkeeper.requirements import _toml
from venvkeeper.requirements.poetry import PoetrySyntaxError, python_marker, translate, translate_text
from venvkeeper.requirements.records import (
    ParsedSources,
    RequirementRecord,
    RequiresPythonRecord,
    parse_requirement,
    read_source_text,
    selected,
)
from venvkeeper.requirements.tomlpos import KeyPath, ValuePos, value_positions
from venvkeeper.settings import Selection

#: The keys of Poetry's table form of a dependency (python-poetry.org/docs/dependency-specification).
_POETRY_KEYS = {
    "version", "extras", "markers", "python", "platform", "optional", "allow-prereleases", "source",
    "develop", "git", "branch", "rev", "tag", "subdirectory", "path", "url",
}  # fmt: skip
_TOML_POS_RE = re.compile(r"at line (\d+), column (\d+)")


def _tool(data: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    tool = data.get("tool")
    table = tool.get(name) if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def declares_dependencies(data: Mapping[str, Any]) -> bool:
    """Does this pyproject declare anything the checks read (dependencies of any kind, requires-python)?"""
    project = data.get("project")
    poetry = _tool(data, "poetry")
    pdm = _tool(data, "pdm")
    if isinstance(project, dict) and any(
        k in project for k in ("dependencies", "optional-dependencies", "requires-python")
    ):
        return True
    if isinstance(data.get("dependency-groups"), dict):
        return True
    if pdm is not None and isinstance(pdm.get("dev-dependencies"), dict):
        return True
    return poetry is not None and any(k in poetry for k in ("dependencies", "group", "dev-dependencies"))


def _uv_default_groups(data: Mapping[str, Any], groups: Mapping[str, Any]) -> list[str]:
    """uv's default groups: ``[tool.uv] default-groups`` ("all" or a list), else ``["dev"]``."""
    uv = _tool(data, "uv") or {}
    value = uv.get("default-groups", ["dev"])
    if value == "all":
        return list(groups)
    wanted = {canonicalize_name(v) for v in value if isinstance(v, str)} if isinstance(value, list) else set()
    return [g for g in groups if canonicalize_name(g) in wanted]


class PyprojectParser:
    def __init__(self, path: Path, result: ParsedSources, extras: Selection, groups: Selection) -> None:
        self.path = path
        self.result = result
        self.extras = extras
        self.groups = groups
        self.positions: dict[KeyPath, ValuePos] = {}
        self.own_name: str | None = None

    # -- entry ---------------------------------------------------------------------------------
    def parse(self) -> None:
        if self.path not in self.result.files:
            self.result.files.append(self.path)
        text, problem = read_source_text(self.path, fsread.PYPROJECT)
        if text is None:
            self._finding(FILE_START, "toml-syntax", problem or "pyproject.toml cannot be read")
            return
        try:
            data = _toml.loads(text)
        except _toml.TOMLDecodeError as exc:
            self._finding(
                _error_span(text, str(exc)), "toml-syntax", f"pyproject.toml is not valid TOML: {exc}"
            )
            return
        self.positions = value_positions(text)
        project = data.get("project")
        tool = data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        for table in (project, poetry):
            if isinstance(table, dict) and isinstance(table.get("name"), str):
                self.own_name = canonicalize_name(table["name"])
                break
        if isinstance(project, dict):
            self._project(project)
        groups = data.get("dependency-groups")
        pdm = _tool(data, "pdm")
        if isinstance(groups, dict):
            if self.groups == "default":
                chosen = list(groups) if pdm is not None else _uv_default_groups(data, groups)
            else:
                chosen = [g for g in groups if selected(g, self.groups)]
            self._dependency_groups(groups, chosen)
        if isinstance(poetry, dict):
            self._poetry(poetry)
        if pdm is not None and isinstance(pdm.get("dev-dependencies"), dict):
            self._pdm_dev(pdm["dev-dependencies"])

    # -- PEP 621 -------------------------------------------------------------------------------
    def _project(self, project: dict[str, Any]) -> None:
        deps = project.get("dependencies")
        if deps is not None:
            self._pep508_list(("project", "dependencies"), deps, "project.dependencies")
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for extra, reqs in optional.items():
                if selected(extra, self.extras):
                    self._pep508_list(
                        ("project", "optional-dependencies", extra), reqs, f"optional-dependencies[{extra}]"
                    )
        rp = project.get("requires-python")
        if rp is not None:
            span = self._value_span(("project", "requires-python"))
            if not isinstance(rp, str):
                self._finding(span, "invalid-requirement", "requires-python must be a string")
                return
            try:
                spec = SpecifierSet(rp)
            except InvalidSpecifier as exc:
                self._finding(
                    span, "invalid-requirement", f"requires-python '{rp}' is not a valid specifier: {exc}"
                )
                return
            self.result.requires_python.append(RequiresPythonRecord(self.path, span, rp, spec))

    def _pep508_list(self, key: KeyPath, values: Any, origin: str) -> None:
        if not isinstance(values, list):
            self._finding(
                self._value_span(key), "invalid-requirement", f"{'.'.join(key)} must be an array of strings"
            )
            return
        for index, value in enumerate(values):
            self._pep508(key, index, value, origin)

    def _pep508(self, key: KeyPath, index: int, value: Any, origin: str) -> None:
        span = self._item_span(key, index)
        if not isinstance(value, str):
            self._finding(
                span, "invalid-requirement", f"{'.'.join(key)} entries must be strings, not {value!r}"
            )
            return
        try:
            req = parse_requirement(value)
        except InvalidRequirement as exc:
            self._finding(
                span, "invalid-requirement", f"'{value}' is not a valid requirement: {_first_line(exc)}"
            )
            return
        name = canonicalize_name(req.name)
        if name == self.own_name:
            return  # "myproject[test]" refers to the project's own extras, counted on their own
        self.result.requirements.append(
            RequirementRecord(
                self.path, span, value, req, name, False, req.url, origin=origin, root=self.path
            )
        )

    # -- PEP 735 -------------------------------------------------------------------------------
    def _dependency_groups(self, groups: dict[str, Any], chosen: list[str]) -> None:
        by_name: dict[str, str] = {canonicalize_name(k): k for k in groups}
        #: "walking" while a group is on the current include path, "done" once all of it was read.
        state: dict[str, str] = {}
        for raw in chosen:
            if raw not in state:
                self._walk_group(groups, by_name, raw, state)

    def _walk_group(
        self, groups: dict[str, Any], by_name: dict[str, str], root: str, state: dict[str, str]
    ) -> None:
        """Read ``root`` and what it includes, depth first with an explicit stack: a chain of 10k groups
        does not recurse, and a group included from many places is read once (not once per path)."""
        path: list[str] = []
        where: dict[str, int] = {}  # index in ``path`` of each group on it
        frames: list[tuple[str, Iterator[tuple[int, Any]]]] = []

        def enter(raw: str) -> None:
            values = groups[raw]
            if not isinstance(values, list):
                state[raw] = "done"
                self._finding(
                    self._value_span(("dependency-groups", raw)),
                    "invalid-requirement",
                    f"dependency group '{raw}' must be an array",
                )
                return
            state[raw] = "walking"
            where[raw] = len(path)
            path.append(raw)
            frames.append((raw, enumerate(values)))

        enter(root)
        while frames:
            raw, items = frames[-1]
            step = next(items, None)
            if step is None:
                frames.pop()
                path.pop()
                state[raw] = "done"
                continue
            index, value = step
            if not isinstance(value, dict):
                self._pep508(("dependency-groups", raw), index, value, f"dependency-groups[{raw}]")
                continue
            include = value.get("include-group")
            span = self._item_span(("dependency-groups", raw), index)
            if not isinstance(include, str) or len(value) != 1:
                message = f'only {{include-group = "name"}} tables are allowed, not {value!r}'
                self._finding(span, "unknown-syntax", message)
                continue
            target = by_name.get(canonicalize_name(include))
            if target is None:
                self._finding(span, "include-missing", f"dependency group '{include}' does not exist")
            elif state.get(target) == "walking":
                chain = _cycle_text(path, where[target])
                self._finding(span, "include-cycle", f"dependency groups include each other ({chain})")
            elif target not in state:
                enter(target)

    # -- PDM -----------------------------------------------------------------------------------
    def _pdm_dev(self, dev: dict[str, Any]) -> None:
        """``[tool.pdm.dev-dependencies]``: group -> PEP 508 strings; PDM installs them all by default."""
        for group, values in dev.items():
            if self.groups not in ("default", "all") and not selected(group, self.groups):
                continue
            key = ("tool", "pdm", "dev-dependencies", group)
            if not isinstance(values, list):
                self._pep508_list(key, values, f"pdm dev-dependencies[{group}]")
                continue
            for index, value in enumerate(values):
                if isinstance(value, str) and value.lstrip().startswith("-e"):
                    self._finding(
                        self._item_span(key, index),
                        "unknown-syntax",
                        f"editable PDM dev-dependency '{value}' is not checked",
                    )
                    continue
                self._pep508(key, index, value, f"pdm dev-dependencies[{group}]")

    # -- Poetry --------------------------------------------------------------------------------
    def _poetry(self, poetry: dict[str, Any]) -> None:
        extras = poetry.get("extras")
        optional_selected: set[str] = set()
        if isinstance(extras, dict):
            for extra, names in extras.items():
                if selected(extra, self.extras) and isinstance(names, list):
                    optional_selected.update(canonicalize_name(str(n)) for n in names)
        tables: list[tuple[KeyPath, str]] = [(("tool", "poetry", "dependencies"), "poetry")]
        if self.groups == "default" or selected("dev", self.groups):
            tables.append((("tool", "poetry", "dev-dependencies"), "poetry dev-dependencies"))
        group = poetry.get("group")
        if isinstance(group, dict):
            for name, declared in group.items():
                if self.groups == "default":
                    # `poetry install` installs every group not declared `optional = true`.
                    wanted = not (isinstance(declared, dict) and declared.get("optional") is True)
                else:
                    wanted = selected(name, self.groups)
                if wanted:
                    tables.append((("tool", "poetry", "group", name, "dependencies"), f"poetry group {name}"))
        for key, origin in tables:
            table: Any = poetry
            for part in key[2:]:
                table = table.get(part) if isinstance(table, dict) else None
            if table is None:
                continue
            if not isinstance(table, dict):
                self._finding(self._value_span(key), "unknown-syntax", f"[{'.'.join(key)}] must be a table")
                continue
            for name, spec in table.items():
                try:
                    self._poetry_dep(key, name, spec, origin, optional_selected)
                except PoetrySyntaxError as exc:
                    self._finding(self._pair_span((*key, name)), "unknown-syntax", f"{name}: {exc}")

    def _poetry_dep(
        self, key: KeyPath, name: str, spec: Any, origin: str, optional_selected: set[str]
    ) -> None:
        span = self._pair_span((*key, name))
        if name == "python" and key[-1] == "dependencies" and len(key) == 3:
            if not isinstance(spec, str):
                raise PoetrySyntaxError("the python constraint must be a string")
            alternatives = translate(spec)
            self.result.requires_python.append(
                RequiresPythonRecord(self.path, self._value_span((*key, name)), spec, alternatives[0])
                if len(alternatives) == 1
                else RequiresPythonRecord(
                    self.path, self._value_span((*key, name)), spec, SpecifierSet(), alternatives
                )
            )
            return
        canonical = canonicalize_name(name)
        if canonical == self.own_name:
            return
        forms = spec if isinstance(spec, list) else [spec]
        for form in forms:
            if isinstance(form, str):
                form = {"version": form}
            if not isinstance(form, dict):
                raise PoetrySyntaxError(
                    f"'{name} = {spec!r}' is not a Poetry dependency form venvkeeper knows"
                )
            unknown = sorted(set(form) - _POETRY_KEYS)
            if unknown:
                # Still checked (version, extras, markers are understood); the rest is said out loud.
                self._finding(
                    span,
                    "unknown-syntax",
                    f"{name}: venvkeeper ignores the Poetry key(s) {', '.join(unknown)}",
                )
            if form.get("optional") is True and canonical not in optional_selected:
                continue
            self.result.requirements.append(self._poetry_record(name, canonical, form, span, origin))

    def _poetry_record(
        self, name: str, canonical: str, form: dict[str, Any], span: Span, origin: str
    ) -> RequirementRecord:
        extras = form.get("extras", [])
        if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
            raise PoetrySyntaxError("extras must be an array of strings")
        markers: list[str] = []
        if isinstance(form.get("markers"), str):
            markers.append(f"({form['markers']})")
        if isinstance(form.get("python"), str):
            markers.append(f"({python_marker(form['python'])})")
        if isinstance(form.get("platform"), str):
            markers.append(f'sys_platform == "{form["platform"]}"')
        marker = " and ".join(markers)
        extras_text = f"[{','.join(extras)}]" if extras else ""
        url: str | None = None
        editable = False
        if isinstance(form.get("git"), str):
            ref = form.get("rev") or form.get("tag") or form.get("branch")
            url = f"git+{form['git']}" + (f"@{ref}" if isinstance(ref, str) else "")
        elif isinstance(form.get("url"), str):
            url = form["url"]
        elif isinstance(form.get("path"), str):
            local = Path(form["path"])
            url = str(local if local.is_absolute() else (self.path.parent / local).resolve())
            editable = form.get("develop") is True
        any_of: tuple[SpecifierSet, ...] = ()
        if url is not None:
            pep508 = f"{name}{extras_text} @ {url if '://' in url else Path(url).as_uri()}"
            text = f"{name} @ {url}"
        else:
            version = form.get("version", "*")
            if not isinstance(version, str):
                raise PoetrySyntaxError(f"version must be a string, not {version!r}")
            alternatives = translate_text(version)
            if len(alternatives) == 1:
                pep508 = f"{name}{extras_text}{alternatives[0]}"
            else:
                pep508 = f"{name}{extras_text}"
                any_of = tuple(SpecifierSet(a) for a in alternatives)
            # "a || b" has no PEP 508 spelling: show it as Poetry wrote it (pip gets Problem.install).
            text = pep508 if not any_of else f"{name}{extras_text} ({' || '.join(alternatives)})"
        try:
            req = parse_requirement(pep508 + (f" ; {marker}" if marker else ""))
        except InvalidRequirement as exc:
            raise PoetrySyntaxError(f"cannot be expressed as a requirement: {exc}") from None
        return RequirementRecord(
            self.path, span, text, req, canonical, editable, url, False, any_of, origin, root=self.path
        )

    # -- positions -----------------------------------------------------------------------------
    def _value_span(self, key: KeyPath) -> Span:
        pos = self.positions.get(key)
        return pos.value if pos else self._fallback(key)

    def _pair_span(self, key: KeyPath) -> Span:
        pos = self.positions.get(key)
        return pos.span if pos else self._fallback(key)

    def _item_span(self, key: KeyPath, index: int) -> Span:
        pos = self.positions.get(key)
        if pos and index < len(pos.items):
            return pos.items[index].value
        return pos.span if pos else self._fallback(key)

    def _fallback(self, key: KeyPath) -> Span:
        # The lexer could not place it (an unusual TOML form): use the nearest enclosing key we know.
        for n in range(len(key) - 1, 0, -1):
            pos = self.positions.get(key[:n])
            if pos:
                return pos.span
        return FILE_START

    def _finding(self, span: Span, code: str, message: str) -> None:
        self.result.findings.append(Finding(self.path, span, code, message))


def _error_span(text: str, message: str) -> Span:
    """The position tomllib names ("... (at line 3, column 7)", 1-based), as a 0-based span to line end."""
    lines = re.split(r"\r\n|\r|\n", text)
    m = _TOML_POS_RE.search(message)
    if m:
        line = min(int(m.group(1)) - 1, len(lines) - 1)
        col = int(m.group(2)) - 1
    else:  # "at end of document"
        line = max(len(lines) - 1, 0)
        while line > 0 and not lines[line].strip():
            line -= 1
        col = 0
    length = len(lines[line]) if lines else 0
    col = min(max(col, 0), length)
    return Span(line, col, line, max(length, col))


def _cycle_text(path: list[str], start: int) -> str:
    """``a → b → a`` for the cycle ``path[start:]``; a long one is shortened to one readable line."""
    length = len(path) - start
    short = length <= 6
    names = path[start:] if short else [*path[start : start + 3], f"… {length - 4} more …", path[-1]]
    return " → ".join([*names, path[start]])


def parse_pyproject(path: Path, result: ParsedSources, extras: Selection, groups: Selection) -> None:
    PyprojectParser(path, result, extras, groups).parse()


def _first_line(exc: Exception) -> str:
    # packaging appends the input and a caret on extra lines; the diagnostic's range already points there.
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
