"""The global-install watch without a server: snapshots, burst merging, findings, what to install."""

from __future__ import annotations

from pathlib import Path

from venvkeeper.guards.global_watch import (
    SAME_BURST_S,
    UNTRUSTED_INSTALL,
    GlobalInstallFindings,
    OpenWarnings,
    Refusal,
    SiteSnapshots,
    Uninstalled,
    burst_seen,
    install_burst,
    install_plan,
    prompt_actions,
    prompt_choice,
    uninstall_and_forget,
    uninstall_question,
    watch_dir,
    watched_projects,
)
from venvkeeper.guards.globals import (
    ACTION_IGNORE,
    ACTION_UNINSTALL,
    GlobalInstallWarning,
    WatchedProject,
    global_install_warning,
)
from venvkeeper.guards.sites import GlobalSite
from venvkeeper.host import Host
from venvkeeper.requirements.installed import read_installed
from venvkeeper.requirements.records import RequirementRecord
from venvkeeper.requirements.sources import parse_sources
from venvkeeper.settings import Settings
from venvkeeper.wire import to_wire


def host(tmp_path: Path) -> Host:
    return Host(
        environ={}, home=tmp_path / "home", state_dir=tmp_path / "state", cache_dir=tmp_path / "cache"
    )


def dist_info(site: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    """A dist-info as pip leaves it (METADATA is all read_installed needs)."""
    d = site / f"{name}-{version}.dist-info"
    d.mkdir(parents=True)
    lines = [f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
    (d / "METADATA").write_text("\n".join(["Metadata-Version: 2.1", *lines, ""]))
    return d


def user_site(tmp_path: Path) -> GlobalSite:
    base = tmp_path / "home" / ".local"
    return GlobalSite(base / "lib" / "python3.12" / "site-packages", "user", "3.12", None, False, base)


def project_with(tmp_path: Path, requirements: str) -> tuple[Path, list[RequirementRecord]]:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text(requirements)
    parsed = parse_sources([root / "requirements.txt"], Settings(), host(tmp_path), root)
    return root, list(parsed.requirements)


def test_watch_dir_is_the_nearest_existing_parent_of_a_user_site_not_made_yet(tmp_path: Path) -> None:
    site = user_site(tmp_path)
    (tmp_path / "home").mkdir()
    assert watch_dir(site) == tmp_path / "home"
    site.path.mkdir(parents=True)
    assert watch_dir(site) == site.path


def test_a_site_made_after_the_first_look_reports_everything_in_it_as_new(tmp_path: Path) -> None:
    site = user_site(tmp_path)
    snapshots = SiteSnapshots(host(tmp_path), [site], {site.path: {}})
    info = dist_info(site.path, "requests", "2.31.0")
    appeared = snapshots.appeared({info})
    assert [(s, [d.name for d in dists]) for s, dists in appeared] == [(site, ["requests"])]
    assert snapshots.appeared(set()) == []  # the snapshot moved on (a touched dist-info would count again)


def requests_warning(site: GlobalSite, tmp_path: Path) -> GlobalInstallWarning:
    """The warning after ``pip install requests`` into ``site``, for a project with its own .venv."""
    dist_info(site.path, "requests", "2.31.0")
    root = tmp_path / "proj"
    warning = global_install_warning(
        site,
        list(read_installed([site.path]).values()),
        [WatchedProject(root, root / ".venv", ".venv")],
        tmp_path,
    )
    assert warning is not None
    return warning


def test_a_second_burst_joins_the_open_message_until_it_was_answered_long_ago(tmp_path: Path) -> None:
    warning = requests_warning(user_site(tmp_path), tmp_path)
    open_warnings = OpenWarnings()
    first = open_warnings.add(warning, now=100.0)
    assert first is not None
    assert open_warnings.add(warning, now=200.0) is None  # unanswered: joins
    first.answered = True
    assert open_warnings.add(warning, now=100.0 + SAME_BURST_S / 2) is None  # answered just now: joins
    assert open_warnings.add(warning, now=100.0 + SAME_BURST_S + 1) is not None


def test_a_finding_lands_on_the_requirement_line_and_goes_when_the_env_has_the_dist(tmp_path: Path) -> None:
    site = user_site(tmp_path)
    dist_info(site.path, "requests", "2.31.0")
    root, records = project_with(tmp_path, "flask\nrequests>=2\n")
    env = root / ".venv"
    projects, by_project = watched_projects([(root, _FakeEnv(env), records)], tmp_path / "home")  # type: ignore[list-item]
    assert projects[0].required == frozenset({"flask", "requests"})
    warning = global_install_warning(
        site, list(read_installed([site.path]).values()), projects, tmp_path / "home"
    )
    assert warning is not None
    findings = GlobalInstallFindings()
    assert findings.add(warning, by_project, tmp_path / "home") == [root]
    [finding] = findings.of(root)
    assert (finding.code, finding.span.line, finding.data["requirement"]) == ("global-install", 1, "requests")
    assert "not into .venv" in finding.message
    assert not findings.drop_resolved(root, None)  # still only in the user site
    assert findings.forget(["requests"]) == [root]
    assert findings.of(root) == []


class _FakeEnv:
    def __init__(self, path: Path) -> None:
        self.path = path


def test_install_into_env_takes_the_top_level_dists_of_the_burst(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist_info(site, "django", "4.2.7", ("asgiref>=3.6", "sqlparse>=0.3.1"))
    dist_info(site, "asgiref", "3.7.2")
    dist_info(site, "sqlparse", "0.4.4")
    dists = list(read_installed([site]).values())
    assert install_plan(dists, ()).requirements == ("django==4.2.7",)
    assert sorted(install_plan(dists, ("asgiref", "sqlparse")).requirements) == [
        "asgiref==3.7.2",
        "sqlparse==0.4.4",
    ]


def test_env_label_is_relative_inside_the_project_else_the_path_shortened_only_when_asked(
    tmp_path: Path,
) -> None:
    from venvkeeper.guards.paths import env_label

    project, home = tmp_path / "proj", tmp_path / "home"
    assert env_label(project / ".venv", project, home) == ".venv"
    assert env_label(home / "envs" / "x", project, home) == "~/envs/x"
    assert env_label(home / "envs" / "x", project) == str(home / "envs" / "x")
    assert env_label(home / "envs" / "x", None) == str(home / "envs" / "x")


def test_uninstall_looks_only_at_existing_user_sites_and_the_names_asked_for(tmp_path: Path) -> None:
    site = user_site(tmp_path)
    dist_info(site.path, "Requests", "2.31.0")
    dist_info(site.path, "flask", "3.0.0")
    system = GlobalSite(tmp_path / "usr" / "site-packages", "system", "3.12", tmp_path / "usr", False)
    dist_info(system.path, "requests", "2.31.0")
    snapshots = SiteSnapshots(host(tmp_path), [system, site], {})
    [(found_site, dists)] = snapshots.in_user_sites(["requests", "not-there"])
    assert found_site == site and [d.name for d in dists] == ["Requests"]


def test_an_uninstall_answer_merges_sites_and_says_what_was_refused(tmp_path: Path) -> None:
    site = user_site(tmp_path)
    dist_info(site.path, "flask", "3.0.0")
    (flask,) = read_installed([site.path]).values()
    result = Uninstalled(removed=["sqlparse"])
    result.add(Uninstalled.untrusted([flask]))
    assert result == Uninstalled(["sqlparse"], [Refusal("flask", "untrusted workspace")])
    assert result.message() == "Removed sqlparse from the user site. Refused: untrusted workspace"
    assert to_wire(result) == {
        "removed": ["sqlparse"],
        "refused": [{"dist": "flask", "reason": "untrusted workspace"}],
    }
    assert Uninstalled().message() == "Nothing was removed."


def test_the_uninstall_question_names_the_dists_and_the_site_shortened(tmp_path: Path) -> None:
    site = user_site(tmp_path)
    dist_info(site.path, "flask", "3.0.0")
    question = uninstall_question(site, list(read_installed([site.path]).values()), tmp_path)
    assert question.startswith("Remove flask 3.0.0 from the user site (~/")
    assert "system packages and project envs are not touched" in question


def test_an_untrusted_prompt_only_acknowledges_and_each_answer_maps_to_one_action(tmp_path: Path) -> None:
    warning = requests_warning(user_site(tmp_path), tmp_path)
    project = warning.projects[0]
    assert prompt_actions(warning, trusted=True) == ("Install into .venv", ACTION_UNINSTALL, ACTION_IGNORE)
    assert prompt_actions(warning, trusted=False) == (ACTION_IGNORE,)
    assert prompt_choice(None, warning) is None  # dismissed
    assert prompt_choice("Something else", warning) is None
    forget = prompt_choice(ACTION_IGNORE, warning)
    assert forget is not None and forget.action == "forget"
    uninstall = prompt_choice(ACTION_UNINSTALL, warning)
    assert uninstall is not None and uninstall.action == "uninstall"
    install = prompt_choice("Install into .venv", warning)
    assert install is not None and (install.action, install.project) == ("install", project)


def test_uninstall_is_never_chosen_for_a_system_site(tmp_path: Path) -> None:
    site = GlobalSite(
        tmp_path / "usr" / "lib" / "python3.12" / "site-packages", "system", "3.12", None, False
    )
    warning = requests_warning(site, tmp_path)
    assert ACTION_UNINSTALL not in warning.actions
    assert prompt_choice(ACTION_UNINSTALL, warning) is None


def test_install_burst_runs_nothing_untrusted_and_says_which_env_failed(tmp_path: Path) -> None:
    warning = requests_warning(user_site(tmp_path), tmp_path)
    project, dists = warning.projects[0], list(warning.dists)
    untrusted = Settings(trusted=False)
    assert install_burst(project, warning, dists, untrusted, host(tmp_path)) == UNTRUSTED_INSTALL
    failed = install_burst(project, warning, dists, Settings(trusted=True), host(tmp_path))  # no .venv
    assert failed is not None and failed.startswith("installing into .venv failed: ")


def test_a_burst_seen_publishes_the_projects_requiring_it_and_asks_once(tmp_path: Path) -> None:
    site = user_site(tmp_path)
    dist_info(site.path, "requests", "2.31.0")
    root, records = project_with(tmp_path, "requests>=2\n")
    appeared = list(read_installed([site.path]).values())
    projects = [(root, _FakeEnv(root / ".venv"), records)]
    findings, open_warnings, home = GlobalInstallFindings(), OpenWarnings(), tmp_path / "home"
    changed, state = burst_seen(site, appeared, projects, home, findings, open_warnings, 100.0)  # type: ignore[arg-type]
    assert changed == [root] and state is not None
    assert state.warning.projects[0].root == root
    _, again = burst_seen(site, appeared, projects, home, findings, open_warnings, 101.0)  # type: ignore[arg-type]
    assert again is None  # joined the open message
    assert burst_seen(site, appeared, [], home, findings, open_warnings, 102.0) == ([], None)  # no project


def test_an_uninstall_rereads_the_site_and_forgets_only_what_it_removed(tmp_path: Path) -> None:
    site = user_site(tmp_path)
    for name in ("requests", "flask"):
        info = dist_info(site.path, name, "1.0")
        if name == "requests":  # flask has no RECORD: refused, and its finding stays
            (info / "RECORD").write_text(f"{info.name}/METADATA,,\n{info.name}/RECORD,,\n")
    root, records = project_with(tmp_path, "requests>=1\nflask>=1\n")
    appeared = list(read_installed([site.path]).values())
    findings, home = GlobalInstallFindings(), tmp_path / "home"
    burst_seen(site, appeared, [(root, _FakeEnv(root / ".venv"), records)], home, findings, OpenWarnings(), 0)  # type: ignore[arg-type]
    snapshots = SiteSnapshots(host(tmp_path), [site], {site.path: read_installed([site.path])})
    result, changed = uninstall_and_forget(site, appeared, snapshots, findings)
    assert result.removed == ["requests"] and [r.dist for r in result.refused] == ["flask"]
    assert changed == [root]
    assert [f.data["requirement"] for f in findings.of(root)] == ["flask"]
    assert set(snapshots.snapshots[site.path]) == {"flask"}
