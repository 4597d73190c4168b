"""pip requirements files: positions, includes, options and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

from venvkeeper.findings import FILE_START, Span
from venvkeeper.requirements.records import MAX_SOURCE_BYTES
from venvkeeper.requirements.reqfile import parse_requirements_file


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


def codes(result: object) -> list[tuple[str, str, int]]:
    return [(f.code, f.file.name, f.span.line) for f in result.findings]  # type: ignore[attr-defined]


def test_positions_comments_and_markers(tmp_path: Path) -> None:
    f = write(
        tmp_path / "requirements.txt",
        "# a comment\n\n  requests>=2.31 ; python_version >= '3.8'   # why\nflask==3.0\n",
    )
    result = parse_requirements_file(f, {})
    assert result.findings == []
    requests, flask = result.requirements
    assert requests.span == Span(2, 2, 2, 42)
    assert requests.text == "requests>=2.31 ; python_version >= '3.8'"
    assert requests.name == "requests" and str(requests.requirement.specifier) == ">=2.31"  # type: ignore[union-attr]
    assert flask.span == Span(3, 0, 3, 10)


def test_line_continuations_keep_physical_positions(tmp_path: Path) -> None:
    f = write(tmp_path / "r.txt", "alpha \\\n    >=1.0,\\\n<2\nbeta\n")
    result = parse_requirements_file(f, {})
    alpha, beta = result.requirements
    assert str(alpha.requirement.specifier) == "<2,>=1.0"  # type: ignore[union-attr]
    # Starts at line 0 col 0, ends after "<2" on line 2.
    assert alpha.span == Span(0, 0, 2, 2)
    assert beta.span == Span(3, 0, 3, 4)


def test_crlf_and_bom(tmp_path: Path) -> None:
    f = tmp_path / "r.txt"
    f.write_bytes(b"\xef\xbb\xbfalpha\r\nbeta==1\r\n")
    result = parse_requirements_file(f, {})
    assert [(r.name, r.span) for r in result.requirements] == [
        ("alpha", Span(0, 0, 0, 5)),
        ("beta", Span(1, 0, 1, 7)),
    ]


def test_env_vars_expanded_but_span_covers_text_as_written(tmp_path: Path) -> None:
    f = write(tmp_path / "r.txt", "${PKG}==${VER}\n${UNSET_VAR}\n")
    result = parse_requirements_file(f, {"PKG": "alpha", "VER": "1.0"})
    (req,) = result.requirements
    assert req.text == "alpha==1.0" and req.span == Span(0, 0, 0, 14)
    # pip leaves unset variables as written; that is not a valid name.
    assert codes(result) == [("invalid-requirement", "r.txt", 1)]


def test_bad_line_is_a_finding_and_the_rest_is_still_read(tmp_path: Path) -> None:
    f = write(tmp_path / "r.txt", "alpha\nnot a valid == line!\nbeta>=1\n")
    result = parse_requirements_file(f, {})
    assert [r.name for r in result.requirements] == ["alpha", "beta"]
    (finding,) = result.findings
    assert finding.code == "invalid-requirement" and finding.span == Span(1, 0, 1, 20)
    assert "not a valid requirement" in finding.message and "\n" not in finding.message


def test_options_hashes_urls_editables_and_vcs(tmp_path: Path) -> None:
    (tmp_path / "localpkg").mkdir()
    write(tmp_path / "localpkg" / "pyproject.toml", '[project]\nname = "Local_Pkg"\n')
    f = write(
        tmp_path / "r.txt",
        "--index-url https://example.org/simple\n"
        "-f ./wheels\n"
        "--pre\n"
        "alpha==1.0 --hash=sha256:abcd --hash sha256:ef01\n"
        "-e ./localpkg\n"
        "git+https://example.org/x/yy.git@v1#egg=yy\n"
        "foo @ https://example.org/foo-1.0.whl ; sys_platform == 'linux'\n"
        "./dist/bar_baz-2.0-py3-none-any.whl\n",
    )
    result = parse_requirements_file(f, {}, project=tmp_path)
    assert result.findings == []
    by_name = {r.name: r for r in result.requirements}
    assert by_name["alpha"].span == Span(3, 0, 3, 10)
    local = by_name["local-pkg"]
    assert local.editable and local.url == str(tmp_path / "localpkg") and local.span == Span(4, 3, 4, 13)
    assert by_name["yy"].url == "git+https://example.org/x/yy.git@v1#egg=yy"
    assert by_name["foo"].url == "https://example.org/foo-1.0.whl"
    assert by_name["bar-baz"].url == str(tmp_path / "dist" / "bar_baz-2.0-py3-none-any.whl")


def test_unknown_option_is_reported_not_fatal(tmp_path: Path) -> None:
    f = write(tmp_path / "r.txt", "--frobnicate\nalpha\n")
    result = parse_requirements_file(f, {})
    assert codes(result) == [("unknown-syntax", "r.txt", 0)]
    assert [r.name for r in result.requirements] == ["alpha"]


def test_nested_includes_relative_to_including_file(tmp_path: Path) -> None:
    top = write(
        tmp_path / "requirements.txt", "-r requirements/base.txt\n--requirement=requirements/dev.txt\n"
    )
    write(tmp_path / "requirements" / "base.txt", "alpha\n-r common/shared.txt\n")
    write(tmp_path / "requirements" / "common" / "shared.txt", "beta\n")
    write(tmp_path / "requirements" / "dev.txt", "-r base.txt\ngamma\n")  # diamond: base read once
    result = parse_requirements_file(top, {})
    assert result.findings == []
    assert [(r.name, r.file.name) for r in result.requirements] == [
        ("alpha", "base.txt"),
        ("beta", "shared.txt"),
        ("gamma", "dev.txt"),
    ]
    assert [p.name for p in result.files] == ["requirements.txt", "base.txt", "shared.txt", "dev.txt"]


def test_include_cycle_is_reported_on_the_r_line(tmp_path: Path) -> None:
    a = write(tmp_path / "a.txt", "alpha\n-r b.txt\n")
    write(tmp_path / "b.txt", "beta\n-r a.txt\n")
    self_ref = write(tmp_path / "c.txt", "-r c.txt\n")
    result = parse_requirements_file(a, {})
    assert [r.name for r in result.requirements] == ["alpha", "beta"]
    assert codes(result) == [("include-cycle", "b.txt", 1)]
    assert "a.txt → b.txt → a.txt" in result.findings[0].message
    assert result.findings[0].span == Span(1, 0, 1, 8)
    assert codes(parse_requirements_file(self_ref, {})) == [("include-cycle", "c.txt", 0)]


def test_missing_include_and_constraints(tmp_path: Path) -> None:
    f = write(tmp_path / "r.txt", "-r nope.txt\n-c constraints.txt\n-c missing-constraints.txt\nalpha\n")
    write(tmp_path / "constraints.txt", "alpha<2\nbeta==1.0\n")
    result = parse_requirements_file(f, {})
    assert codes(result) == [("include-missing", "r.txt", 0), ("include-missing", "r.txt", 2)]
    assert "nope.txt does not exist" in result.findings[0].message
    assert [r.name for r in result.requirements] == ["alpha"]
    assert [(c.name, c.constraint, c.file.name) for c in result.constraints] == [
        ("alpha", True, "constraints.txt"),
        ("beta", True, "constraints.txt"),
    ]


def test_binary_file_is_one_finding(tmp_path: Path) -> None:
    f = tmp_path / "requirements.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = parse_requirements_file(f, {})
    assert result.requirements == []
    (finding,) = result.findings
    assert finding.span == FILE_START and "binary" in finding.message


def test_huge_file_is_one_finding_without_being_read(tmp_path: Path) -> None:
    f = tmp_path / "requirements.txt"
    with f.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing to write
    assert f.stat().st_size > MAX_SOURCE_BYTES
    result = parse_requirements_file(f, {})
    (finding,) = result.findings
    assert "50.0 MB" in finding.message and "5 MB" in finding.message


def test_unbalanced_quotes_in_options(tmp_path: Path) -> None:
    f = write(tmp_path / "r.txt", "-r 'unterminated\nalpha\n")
    result = parse_requirements_file(f, {})
    assert codes(result) == [("invalid-requirement", "r.txt", 0)]
    assert [r.name for r in result.requirements] == ["alpha"]
