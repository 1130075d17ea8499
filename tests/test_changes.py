from __future__ import annotations

import json

import pytest

from soc2kit.changes import check_changes, check_commit, same_person
from soc2kit.history import Change, Commit
from tests.conftest import CONFIG, run_cli
from tests.gitrepo import ALICE, BOB, CAROL, GitRepo, program_repo

POLICY = "policies/information-security.md"
GITHUB = ("GitHub", "noreply@github.com")
REGISTER = "registers/change-exceptions.yml"


@pytest.fixture(autouse=True)
def no_github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Git-only path: a token in the developer's or CI's environment must not reach GitHub from tests."""
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)


def _check(repo: GitRepo, *args: str):
    result = run_cli("changes", "check", "--root", str(repo.root), "--format", "json", *args)
    report = json.loads(result.stdout) if result.stdout.startswith("{") else None
    return result, report


def _codes(report) -> list[tuple[str, str]]:
    return [(d["code"], d["path"]) for d in report["diagnostics"]]


def _who(person: tuple[str, str]) -> str:
    return f"{person[0]} <{person[1]}>"


def web_merge(repo: GitRepo, branch: str, pr: int, *, merger=ALICE, trailers=()) -> str:
    """A merge as GitHub's merge button makes it: the merger as author, GitHub's web flow as committer."""
    message = f"Merge pull request #{pr} from acme/{branch}\n\n{branch}"
    if trailers:
        message += "\n\n" + "\n".join(f"{key}: {value}" for key, value in trailers)
    repo.git("merge", "-q", "--no-ff", "-m", message, branch, author=merger, committer=GITHUB, date=repo.tick())
    return repo.head()


def web_squash(repo: GitRepo, branch: str, pr: int, subject: str, *, author=ALICE, trailers=()) -> str:
    return repo.squash_pr(branch, pr, subject, author=author, committer=GITHUB, trailers=trailers)


def _pr(repo: GitRepo, branch: str, number: int, edit, *, author=BOB, merger=ALICE, trailers=()) -> str:
    """Branch off main, make one commit by `author` with `edit(repo)`, merge it as GitHub does."""
    repo.branch(branch, "main")
    edit(repo)
    repo.commit(f"Work on {branch}", author=author)
    repo.checkout("main")
    return web_merge(repo, branch, number, merger=merger, trailers=trailers)


def _reviewed_pr_repo(tmp_path) -> GitRepo:
    repo = program_repo(tmp_path / "repo")
    repo.branch("edit-policy")
    repo.replace(POLICY, "Why.", "Why we do it.")
    repo.commit("Explain the purpose", author=BOB)
    repo.checkout("main")
    web_merge(repo, "edit-policy", 7, trailers=(("Approved-by", _who(CAROL)),))
    repo.branch("bump")
    repo.replace(POLICY, 'version: "1.0"', 'version: "1.1"')
    repo.commit("Bump", author=BOB)
    repo.checkout("main")
    web_squash(repo, "bump", 8, "Bump the policy", author=BOB, trailers=(("Approved-by", _who(ALICE)),))
    return repo


def test_changes_through_merged_and_squashed_pull_requests_pass(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    result, report = _check(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["diagnostics"] == []


def test_direct_push_to_main_is_flagged_on_the_changed_file(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    repo.replace("controls/TC-03.md", "owner: IT Manager", "owner: CTO")
    sha = repo.commit("Quick owner fix", author=BOB)
    result, report = _check(repo)
    assert result.returncode == 1
    assert _codes(report) == [("SK601", "controls/TC-03.md")]
    message = report["diagnostics"][0]["message"]
    assert sha[:12] in message
    assert "pushed directly" in message
    assert "Bob Brown" in message
    assert report["diagnostics"][0]["line"] == 1


def test_merge_commit_without_a_pull_request_is_flagged(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.branch("local")
    repo.write("policies/new.md", "draft\n")
    repo.commit("Draft a policy")
    repo.checkout("main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'local'", "local", date=repo.tick())
    result, report = _check(repo)
    assert result.returncode == 1
    assert _codes(report) == [("SK601", "policies/new.md")]
    assert "merged without a pull request" in report["diagnostics"][0]["message"]


def test_approval_by_the_author_is_flagged(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.branch("self")
    repo.replace(POLICY, "Yearly.", "Every year.")
    repo.commit("Reword review")
    repo.checkout("main")
    web_squash(repo, "self", 9, "Reword review", author=ALICE, trailers=(("Reviewed-by", "A. Adams <ALICE@example.com>"),))
    result, report = _check(repo)
    assert result.returncode == 1
    assert _codes(report) == [("SK602", POLICY), ("SK605", POLICY)]  # the author's approval does not count
    assert "approved by its own author" in report["diagnostics"][0]["message"]


def test_since_skips_older_direct_pushes(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("policies/old.md", "old\n")
    repo.commit("Old direct push", date="2026-01-10T10:00:00+00:00")
    repo.write("policies/new.md", "new\n")
    repo.commit("New direct push", date="2026-03-10T10:00:00+00:00")
    result, report = _check(repo, "--since", "2026-02-01")
    assert result.returncode == 1
    assert _codes(report) == [("SK601", "policies/new.md")]


def test_branch_option_checks_that_branch_and_unknown_branches_are_usage_errors(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    repo.branch("wild")
    repo.write("policies/wild.md", "x\n")
    repo.commit("Wild change")
    result, report = _check(repo, "--branch", "main")
    assert result.returncode == 0
    assert report["diagnostics"] == []
    result, report = _check(repo)
    assert _codes(report) == [("SK601", "policies/wild.md")]
    result, _ = _check(repo, "--branch", "no-such-branch")
    assert result.returncode == 2
    assert "no branch or revision 'no-such-branch'" in result.stderr


def test_detached_head_checks_main_or_asks_for_a_branch(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    repo.detach()
    result, report = _check(repo)
    assert result.returncode == 0
    assert report["diagnostics"] == []
    repo.git("branch", "-m", "main", "trunk")
    result, _ = _check(repo)
    assert result.returncode == 2
    assert "HEAD is detached" in result.stderr
    assert "--branch" in result.stderr


def test_shallow_clone_warns_that_history_is_cut(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    clone = repo.shallow_clone(tmp_path / "clone", depth=1)
    result, report = _check(clone)
    assert result.returncode == 0
    assert _codes(report) == [("SK603", "soc2kit.yml")]
    assert report["diagnostics"][0]["severity"] == "warning"


def test_outside_git_and_without_commits_is_exit_2(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "soc2kit.yml").write_text(CONFIG, encoding="utf-8")
    result = run_cli("changes", "check", "--root", str(plain))
    assert result.returncode == 2
    assert "not inside a Git repository" in result.stderr
    empty = GitRepo.create(tmp_path / "empty")
    (empty.root / "soc2kit.yml").write_text(CONFIG, encoding="utf-8")
    result = run_cli("changes", "check", "--root", str(empty.root))
    assert result.returncode == 2
    assert "no commits" in result.stderr
    assert "Traceback" not in result.stderr


def test_non_iso_since_is_a_usage_error(tmp_path):
    repo = program_repo(tmp_path / "repo")
    result = run_cli("changes", "check", "--root", str(repo.root), "--since", "01/02/2026")
    assert result.returncode == 2
    assert "is not an ISO date" in result.stderr


def test_github_format_annotates_the_changed_file(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("policies/direct.md", "x\n")
    repo.commit("Direct")
    result = run_cli("changes", "check", "--root", str(repo.root), "--format", "github")
    assert result.returncode == 1
    assert "::error file=policies/direct.md,line=1,title=SK601" in result.stdout


def _commit(signature: str = "N", trailers: tuple[tuple[str, str], ...] = ()) -> Commit:
    when = "2026-02-01T00:00:00+00:00"
    return Commit(
        sha="a" * 40,
        parents=("b" * 40,),
        author_name="Bob Brown",
        author_email="bob@example.com",
        author_iso=when,
        committer_name="GitHub",
        committer_email="noreply@github.com",
        committer_iso=when,
        signature=signature,
        signer="",
        subject="Tighten access (#4)",
        trailers=trailers or (("Approved-by", "Carol Chen <carol@example.com>"),),
        changes=(Change("modified", "policies/b.md"), Change("added", "controls/AC-01.md")),
    )


def test_bad_and_revoked_signatures_are_warnings():
    assert [d.code for d in check_commit(_commit("B"), "main")] == ["SK604"]
    revoked = check_commit(_commit("R"), "main")
    assert [(d.code, d.path) for d in revoked] == [("SK604", "controls/AC-01.md")]
    assert "revoked" in revoked[0].message
    assert check_commit(_commit("G"), "main") == []


def test_same_person_compares_emails_then_names():
    assert same_person("Bob Brown <Bob@Example.com>", "Robert <bob@example.com>")
    assert not same_person("Bob Brown <bob@example.com>", "Bob Brown <bob@other.example>")
    assert same_person("bob brown", "Bob Brown <bob@example.com>")
    assert same_person("bob@example.com", "Bob Brown <bob@example.com>")
    assert not same_person("", "Bob Brown <bob@example.com>")


def test_a_direct_push_whose_text_spells_the_log_separators_is_still_flagged(tmp_path):
    from soc2kit.changes import check_changes

    repo = _reviewed_pr_repo(tmp_path)
    pushed = []
    for number, hostile in enumerate(("\x1e\x1fsoc2kit\x1f", "\x1esoc2kit", "\x1e", "\x1f", "R100")):
        repo.replace(
            "controls/TC-03.md", "owner: IT Manager" if number == 0 else f"owner: Role {number - 1}", f"owner: Role {number}"
        )
        pushed.append(
            repo.commit(
                f"Quick fix {hostile} (#9",
                body=f"{hostile}\n{hostile}",
                author=(f"Bob {hostile}", "bob@example.com"),
                trailers=[("Signed-off-by", f"Bob {hostile} <bob@example.com>")],
            )
        )
    report = check_changes(repo.root)
    flagged = [d for d in report.diagnostics if d.code == "SK601"]
    assert report.commits == 3 + len(pushed)
    assert [d.path for d in flagged] == ["controls/TC-03.md"] * len(pushed)
    assert {sha[:12] for sha in pushed} == {d.message.split()[1] for d in flagged}


# -- Reproduced on main (issue 11): each of these failed before the fix ------------------------------------


def test_github_merge_without_any_recorded_approval_is_an_error_that_says_how_to_give_a_token(tmp_path):
    repo = program_repo(tmp_path / "repo")
    _pr(repo, "edit", 12, lambda r: r.replace(POLICY, "Why.", "Why we do it."))
    result, report = _check(repo)
    assert result.returncode == 1
    assert _codes(report) == [("SK605", POLICY)]
    finding = report["diagnostics"][0]
    assert "no approval recorded" in finding["message"]
    assert "pull request #12" in finding["message"]
    assert "GITHUB_TOKEN" in finding["hint"]
    assert "pull-requests: read" in finding["hint"]


def test_self_approval_is_judged_against_the_changes_authors_not_the_merger(tmp_path):
    repo = program_repo(tmp_path / "repo")
    # Alice wrote it; Bob merged it on GitHub (so Bob is the merge commit's author) and approved it.
    _pr(repo, "alice-edit", 12, lambda r: r.replace(POLICY, "Why.", "Why we do it."), author=ALICE, merger=BOB,
        trailers=(("Approved-by", _who(BOB)),))  # fmt: skip
    result, report = _check(repo)
    assert result.returncode == 0, result.stdout
    assert report["diagnostics"] == []
    record = check_changes(repo.root).changes[-1]
    assert (record.kind, record.pr, record.authors, record.merger) == ("merge", 12, (_who(ALICE),), _who(BOB))
    assert [(a.reviewer, a.source) for a in record.approvals] == [(_who(BOB), "trailer")]
    # The reverse: Bob merged Alice's change, and the approval is Alice's own.
    _pr(repo, "alice-again", 13, lambda r: r.replace(POLICY, "Why we do it.", "Why."), author=ALICE, merger=BOB,
        trailers=(("Approved-by", _who(ALICE)),))  # fmt: skip
    result, report = _check(repo)
    assert result.returncode == 1
    assert [d["code"] for d in report["diagnostics"]] == ["SK602", "SK605"]
    assert "Alice Adams, merged by Bob Brown" in report["diagnostics"][0]["message"]


def test_a_direct_push_adding_enforced_from_exempts_neither_itself_nor_earlier_commits(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("policies/old.md", "old\n")
    old = repo.commit("Old direct push", date="2026-01-10T10:00:00+00:00")
    repo.write("soc2kit.yml", repo.read("soc2kit.yml") + "change_management:\n  enforced_from: 2026-06-01\n")
    repo.write("policies/new.md", "new\n")
    new = repo.commit("Direct push that adopts pull requests later", date="2026-03-10T10:00:00+00:00")
    result, report = _check(repo)
    assert result.returncode == 1
    assert [(d["code"], d["path"], d["message"].split()[1]) for d in report["diagnostics"]] == [
        ("SK601", "policies/new.md", new[:12]),
        ("SK601", "policies/old.md", old[:12]),
    ]
    assert "in 3 commits" in run_cli("changes", "check", "--root", str(repo.root)).stdout


def test_pull_request_typed_into_a_local_merge_or_commit_is_a_direct_change(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.branch("local")
    repo.replace(POLICY, "Why.", "Why we do it.")
    repo.commit("Edit", author=BOB)
    repo.checkout("main")
    repo.merge_pr("local", 12, trailers=(("Approved-by", _who(CAROL)),))  # `git merge` by Alice, on her machine
    repo.replace(POLICY, "Why we do it.", "Why.")
    repo.commit("Tighten (#13)", trailers=[("Approved-by", _who(CAROL))])
    result, report = _check(repo)
    assert result.returncode == 1
    assert [d["code"] for d in report["diagnostics"]] == ["SK601", "SK601"]
    merge, squash = report["diagnostics"]
    assert "merged without a pull request" in merge["message"]
    assert (
        "names pull request #12, but it was committed by Alice Adams <alice@example.com>, not merged by GitHub"
        in (merge["message"])
    )
    assert "pushed directly" in squash["message"]
    assert "names pull request #13" in squash["message"]


def _register(entries: list[dict[str, str]]) -> str:
    lines = ["exceptions:"]
    for entry in entries:
        lines.append(f"  - commit: {entry['commit']}")
        lines.extend(f"    {key}: {value}" for key, value in entry.items() if key != "commit")
    return "\n".join(lines) + "\n"


def _accept(sha: str, finding: str = "SK601", **extra: str) -> dict[str, str]:
    return {
        "commit": sha,
        "finding": finding,
        "reason": "Hotfix during the outage; reviewed after the fact in INC-42",
        "accepted_by": "Carol Chen",
        "accepted_on": "2026-02-01",
        **extra,
    }


def test_an_old_violation_is_closed_by_a_reviewed_exception_and_stays_visible_in_every_format(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.replace(POLICY, "Why.", "Why we do it.")
    hotfix = repo.commit("Hotfix", author=BOB)
    _pr(repo, "accept", 20, lambda r: r.write(REGISTER, _register([_accept(hotfix[:12])])),
        trailers=(("Approved-by", _who(CAROL)),))  # fmt: skip
    _pr(repo, "later", 21, lambda r: r.replace(POLICY, "Why we do it.", "Why."), trailers=(("Approved-by", _who(CAROL)),))
    result, report = _check(repo)
    assert result.returncode == 0, result.stdout
    assert [(d["code"], d["severity"]) for d in report["diagnostics"]] == [("SK601", "excepted")]
    assert "INC-42" in report["diagnostics"][0]["hint"]
    assert f"{REGISTER} line 2" in report["diagnostics"][0]["hint"]
    assert "1 finding excepted" in result.stderr
    text = run_cli("changes", "check", "--root", str(repo.root))
    assert text.returncode == 0
    assert f"{POLICY}:1: excepted: SK601" in text.stdout
    github = run_cli("changes", "check", "--root", str(repo.root), "--format", "github")
    assert github.returncode == 0
    assert "::notice file=policies/information-security.md,line=1,title=SK601" in github.stdout
    sarif = json.loads(run_cli("changes", "check", "--root", str(repo.root), "--format", "sarif").stdout)
    (result_,) = sarif["runs"][0]["results"]
    assert result_["level"] == "note"
    assert result_["suppressions"][0]["kind"] == "external"
    assert "INC-42" in result_["suppressions"][0]["justification"]
    record = next(r for r in check_changes(repo.root).changes if r.sha == hotfix)
    assert (record.findings, [d.code for d in record.excepted]) == ([], ["SK601"])


def test_an_exception_added_by_a_direct_push_does_not_count(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.replace(POLICY, "Why.", "Why we do it.")
    hotfix = repo.commit("Hotfix", author=BOB)
    repo.write(REGISTER, _register([_accept(hotfix)]))
    sneaky = repo.commit("Accept my own hotfix", author=BOB)
    result, report = _check(repo)
    assert result.returncode == 1
    assert [(d["code"], d["severity"], d["message"].split()[1]) for d in report["diagnostics"]] == [
        ("SK601", "error", hotfix[:12]),
        ("SK601", "error", sneaky[:12]),
    ]
    assert report["diagnostics"][1]["path"] == POLICY or REGISTER in report["diagnostics"][1]["message"]


def test_bad_register_entries_get_line_numbered_diagnostics(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.replace(POLICY, "Why.", "Why we do it.")
    hotfix = repo.commit("Hotfix", author=BOB)
    entries = [_accept(hotfix), _accept("0123456789ab"), _accept(hotfix, "SK999"), _accept(hotfix, "SK604")]
    _pr(repo, "accept", 20, lambda r: r.write(REGISTER, _register(entries)), trailers=(("Approved-by", _who(CAROL)),))
    result, report = _check(repo)
    assert result.returncode == 1  # SK607 is an error: a code that can never match
    found = {(d["code"], d["line"], d["severity"]) for d in report["diagnostics"] if d["path"] == REGISTER}
    assert found == {("SK606", 7, "warning"), ("SK607", 12, "error"), ("SK606", 17, "warning")}
    assert ("SK601", "excepted") in {(d["code"], d["severity"]) for d in report["diagnostics"]}
    # a malformed entry voids the version: nothing is excepted by a register that does not read cleanly
    broken = [_accept(hotfix, accepted_on="last tuesday")]
    _pr(repo, "break", 21, lambda r: r.write(REGISTER, _register(broken)), trailers=(("Approved-by", _who(CAROL)),))
    result, report = _check(repo)
    assert result.returncode == 1
    by_path = [(d["code"], d["path"], d["line"], d["severity"]) for d in report["diagnostics"]]
    assert ("SK010", REGISTER, 6, "error") in by_path
    assert ("SK601", POLICY, 1, "error") in by_path
    schema = run_cli("schema", "--help")
    assert schema.returncode == 0


def test_rule_settings_count_from_the_commit_after_the_passing_pull_request_that_set_them(tmp_path):
    repo = program_repo(tmp_path / "repo")
    # A direct push that lowers the rule in the same commit is judged by the settings before it.
    repo.write("soc2kit.yml", repo.read("soc2kit.yml") + "rules:\n  change-without-pull-request: warning\n")
    repo.write("policies/direct.md", "x\n")
    repo.commit("Lower the gate and push", date="2026-03-10T10:00:00+00:00")
    result, report = _check(repo)
    assert result.returncode == 1
    assert [(d["code"], d["severity"]) for d in report["diagnostics"]] == [("SK601", "error")]
    # Through a reviewed pull request the setting counts for the commits after it.
    repo2 = program_repo(tmp_path / "repo2")
    _pr(repo2, "lower", 5, lambda r: r.write("soc2kit.yml", r.read("soc2kit.yml") + "rules:\n  SK601: warning\n"),
        trailers=(("Approved-by", _who(CAROL)),))  # fmt: skip
    repo2.write("policies/direct.md", "x\n")
    repo2.commit("Direct")
    result, report = _check(repo2)
    assert result.returncode == 0
    assert [(d["code"], d["severity"]) for d in report["diagnostics"]] == [("SK601", "warning")]


def test_enforced_from_set_through_a_pull_request_exempts_later_commits_dated_before_it(tmp_path):
    repo = program_repo(tmp_path / "repo")
    _pr(repo, "adopt", 5, lambda r: r.write("soc2kit.yml", r.read("soc2kit.yml") + "change_management:\n  enforced_from: 2026-03-01\n"),
        trailers=(("Approved-by", _who(CAROL)),))  # fmt: skip
    repo.write("policies/early.md", "x\n")
    repo.commit("Before enforcement", date="2026-02-01T10:00:00+00:00")
    repo.write("policies/late.md", "x\n")
    late = repo.commit("After enforcement", date="2026-03-02T10:00:00+00:00")
    repo.write("policies/backdated.md", "x\n")
    backdated = repo.commit("Back-dated after enforcement began", date="2026-02-02T10:00:00+00:00")
    result, report = _check(repo)
    assert result.returncode == 1
    assert [d["message"].split()[1] for d in report["diagnostics"]] == [backdated[:12], late[:12]]
    exempt = [r.exempt for r in check_changes(repo.root).changes]
    assert exempt[0].startswith("root commit")
    assert "enforced_from" in exempt[2]


def test_workflows_codeowners_and_config_are_gated_relative_to_the_git_root(tmp_path):
    repo = GitRepo.create(tmp_path / "repo")
    repo.write(".github/workflows/ci.yml", "on: push\n")
    repo.commit("CI before the program")  # before the program existed: not judged
    from tests.conftest import make_program

    make_program(repo.root / "compliance")
    repo.commit("Start the program")
    for path, text in (
        (".github/workflows/ci.yml", "on: [push]\n"),
        ("CODEOWNERS", "* @acme/sec\n"),
        (".github/CODEOWNERS", "*\n"),
    ):
        repo.write(path, text)
        repo.commit(f"Change {path}")
    repo.write("compliance/soc2kit.yml", repo.read("compliance/soc2kit.yml").replace("Test Co", "Test Company"))
    repo.commit("Rename the company")
    repo.write("compliance/evidence/TC-01/q2-review.txt", "q2\n")
    repo.commit("Evidence is not gated")
    result, report = _check(GitRepo(repo.root / "compliance"))
    assert result.returncode == 1
    assert _codes(report) == [
        ("SK601", "../.github/CODEOWNERS"),
        ("SK601", "../.github/workflows/ci.yml"),
        ("SK601", "../CODEOWNERS"),
        ("SK601", "soc2kit.yml"),
    ]
    # Annotations and SARIF name files from the Git root, normalised: never `compliance/../CODEOWNERS`.
    program = str(repo.root / "compliance")
    github = run_cli("changes", "check", "--root", program, "--format", "github").stdout
    assert "file=compliance/../" not in github
    assert "::error file=.github/workflows/ci.yml,line=1,title=SK601" in github
    assert "::error file=CODEOWNERS,line=1," in github
    assert "::error file=compliance/soc2kit.yml,line=1," in github
    sarif = json.loads(run_cli("changes", "check", "--root", program, "--format", "sarif").stdout)
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"])
    assert uris == [".github/CODEOWNERS", ".github/workflows/ci.yml", "CODEOWNERS", "compliance/soc2kit.yml"]
    changes = check_changes(repo.root / "compliance").changes
    assert changes[0].exempt.startswith("root commit")
    assert changes[1].exempt.startswith("root commit") or changes[1].exempt.startswith("before the program")


def test_no_token_means_no_github_client_is_made(tmp_path, monkeypatch):
    import sys

    repo = _reviewed_pr_repo(tmp_path)
    monkeypatch.delitem(sys.modules, "soc2kit.github", raising=False)
    report = check_changes(repo.root, repository="acme/repo")
    assert report.github is False
    assert [r.pr for r in report.changes] == [None, 7, 8]
    assert [r.kind for r in report.changes] == ["root", "merge", "squash"]


# -- With a token: reviews from the GitHub API (tests/github_server.py, OpenAPI-validated) -------------------


def test_reviews_are_read_from_github_with_a_token(tmp_path, monkeypatch, github_server):

    from tests.github_server import TOKEN

    repo = program_repo(tmp_path / "repo")
    scenario = github_server.scenario

    def pull(number: int, author, merger, reviews, edit) -> str:
        return _api_pull(repo, scenario, number, author, merger, reviews=reviews, edit=edit)

    # Alice wrote #12, Bob merged it, Carol approved it on GitHub: no trailer needed.
    pull(12, ALICE, BOB, [("carol", "APPROVED")], lambda r: r.replace(POLICY, "Why.", "Why we do it."))
    # Bob wrote #13 and approved it himself; Carol's approval was dismissed.
    pull(13, BOB, ALICE, [("bob", "APPROVED"), ("carol", "DISMISSED")], lambda r: r.replace(POLICY, "Why we do it.", "Why."))
    # A subject GitHub's web flow committed, naming a pull request GitHub does not have.
    repo.branch("ghost", "main")
    repo.write("policies/ghost.md", "x\n")
    repo.commit("Ghost", author=BOB)
    repo.checkout("main")
    web_squash(repo, "ghost", 99, "Ghost change", author=BOB)
    # A direct push whose subject claims pull request #12: GitHub is not even asked about it.
    repo.write("policies/direct.md", "x\n")
    direct = repo.commit("Quick fix (#12)", author=BOB)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    report = check_changes(repo.root, repository="octo-org/product", api_url=github_server.url)
    assert report.github is True
    first, second, third, fourth = report.changes[1:]
    assert (first.pr, first.authors, first.merger) == (12, (_who(ALICE),), _who(BOB))
    assert [(a.reviewer, a.source, a.stale) for a in first.approvals] == [("carol", "github", False)]
    assert first.findings == []
    assert [d.code for d in second.findings] == ["SK602", "SK605"]
    assert "bob" in second.findings[0].message
    assert "carol: dismissed" in second.findings[1].message
    assert (third.pr, third.kind, [d.code for d in third.findings]) == (None, "direct", ["SK601"])
    assert "GitHub has no merged pull request #99" in third.findings[0].message
    assert (fourth.pr, [d.code for d in fourth.findings]) == (None, ["SK601"])
    assert "names pull request #12, but it was committed by Bob Brown" in fourth.findings[0].message
    assert not [exchange for exchange in github_server.requests if direct in exchange.path]
    assert [exchange.path for exchange in github_server.requests if "/commits/" in exchange.path and "/pulls" in exchange.path]
    # the token is never part of what is reported
    assert TOKEN not in repr(report)
    # the command line reads the same, with the URL from the environment as Actions sets it
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo-org/product")
    result, payload = _check(repo)
    assert result.returncode == 1
    assert [d["code"] for d in payload["diagnostics"]] == ["SK601", "SK601", "SK602", "SK605"]
    assert TOKEN not in result.stdout + result.stderr


def _api_pull(repo: GitRepo, scenario, number: int, author, merger, *, reviews, edit) -> str:
    """A pull request merged as GitHub merges it, and GitHub's record of it in the local server's scenario."""
    from datetime import UTC, datetime, timedelta

    from tests.github_server import Commit as ApiCommit
    from tests.github_server import Pull, Review

    when = datetime(2026, 2, 1, 12, tzinfo=UTC) + timedelta(days=number)
    repo.branch(f"pr{number}", "main")
    edit(repo)
    branch_sha = repo.commit(f"Work for #{number}", author=author)
    repo.checkout("main")
    merge = web_merge(repo, f"pr{number}", number, merger=merger)
    login = author[0].split()[0].lower()
    scenario.add_commit(
        ApiCommit(sha=branch_sha, parents=[], author=login, committer=login, date=when, message=f"Work for #{number}")
    )
    scenario.pulls[number] = Pull(
        number=number, title=f"Change {number}", user=login, base="main", head_ref=f"pr{number}", head_sha=branch_sha,
        created_at=when - timedelta(hours=2), updated_at=when, closed_at=when, merged_at=when,
        merged_by=merger[0].split()[0].lower(), merge_commit_sha=merge, commits=[branch_sha],
        reviews=[Review(number * 10 + i, who, state, when - timedelta(hours=1), branch_sha) for i, (who, state) in enumerate(reviews)],
    )  # fmt: skip
    return merge


def test_merged_pull_requests_are_asked_about_once_across_runs(tmp_path, monkeypatch, github_server):
    from soc2kit.cache import cache_home
    from tests.github_server import TOKEN

    repo = program_repo(tmp_path / "repo")
    scenario = github_server.scenario
    _api_pull(
        repo, scenario, 12, ALICE, BOB, reviews=[("carol", "APPROVED")], edit=lambda r: r.replace(POLICY, "Why.", "Why we do it.")
    )
    _api_pull(
        repo, scenario, 13, BOB, ALICE, reviews=[("bob", "APPROVED")], edit=lambda r: r.replace(POLICY, "Why we do it.", "Why.")
    )
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)

    def judged() -> list[tuple[int | None, list[str], list[str]]]:
        report = check_changes(repo.root, repository="octo-org/product", api_url=github_server.url)
        return [(r.pr, [a.reviewer for a in r.approvals], [d.code for d in r.findings]) for r in report.changes[1:]]

    first = judged()
    assert first == [(12, ["carol"], []), (13, [], ["SK602", "SK605"])]
    assert len(github_server.requests) >= 6  # per pull request: its number, itself, reviews, commits
    github_server.requests.clear()
    assert judged() == first
    assert github_server.requests == []
    # A new pull request: only it is asked about.
    merge = _api_pull(
        repo, scenario, 14, CAROL, ALICE, reviews=[("alice", "APPROVED")], edit=lambda r: r.replace(POLICY, "Why.", "Why so.")
    )
    github_server.requests.clear()
    assert judged() == [*first, (14, ["alice"], [])]
    paths = [exchange.path for exchange in github_server.requests]
    assert paths
    assert all(merge in path or "/pulls/14" in path for path in paths), paths
    # What is kept holds no token; a damaged file is asked for again, with the same result.
    (kept,) = [path for path in cache_home().iterdir() if path.name.startswith("facts-")]
    data = kept.read_bytes()
    assert TOKEN.encode() not in data
    kept.write_bytes(data.replace(b'"carol"', b'"mallory"'))
    github_server.requests.clear()
    assert judged() == [*first, (14, ["alice"], [])]
    assert len(github_server.requests) >= 9


def test_the_system_description_and_every_register_are_gated(tmp_path):
    """Deviation approvals, subservice reports, CUECs and the system description are management's
    decisions: a direct push to any of them is a finding, like one to a policy. Evidence is not."""
    repo = _reviewed_pr_repo(tmp_path)
    for path, text in (
        ("registers/deviations.yml", "deviations: []\n"),
        ("registers/subservice-organizations.yml", "subservice_organizations: []\n"),
        ("registers/user-entity-controls.yml", "user_entity_controls: []\n"),
        ("registers/vendor-notes.yml", "notes: []\n"),  # a register soc2kit does not read yet
        ("system/services.md", "---\npart: services\ntitle: Services\nowner: CTO\n---\nWhat we run.\n"),
        ("evidence/TC-01/q2-review.txt", "q2\n"),
    ):
        repo.write(path, text)
        repo.commit(f"Direct push of {path}", author=BOB)
    result, report = _check(repo)
    assert result.returncode == 1
    assert _codes(report) == [
        ("SK601", "registers/deviations.yml"),
        ("SK601", "registers/subservice-organizations.yml"),
        ("SK601", "registers/user-entity-controls.yml"),
        ("SK601", "registers/vendor-notes.yml"),
        ("SK601", "system/services.md"),
    ]


def test_a_register_change_through_a_reviewed_pull_request_passes(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    repo.branch("approve-deviation")
    repo.write("registers/deviations.yml", "deviations: []\n")
    repo.commit("Log the deviations", author=BOB)
    repo.checkout("main")
    web_merge(repo, "approve-deviation", 9, trailers=(("Approved-by", _who(CAROL)),))
    result, report = _check(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["diagnostics"] == []
