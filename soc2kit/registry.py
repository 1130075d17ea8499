"""Every rule soc2kit knows, as data: the single source for docs, SARIF metadata and config keys.

Codes are stable: a code is never reused for a different check. Families:
SK0xx reading documents, SK1xx identities and references, SK2xx scope and coverage,
SK3xx policies, SK4xx evidence, SK5xx readiness over the audit period, SK6xx change history in Git (`soc2kit changes check`) and production changes from GitHub (SK61x,
`soc2kit changes population`),
SK7xx parts of the report (system description, subservice organizations, CSOCs and CUECs, deviations).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    EXCEPTED = "excepted"
    """A finding closed by an entry of the change exceptions register: shown, never counted as a failure."""

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2, "excepted": 3}[self.value]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    fix: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "SK001",
            "unreadable-file",
            _E,
            "A program file cannot be read (permissions, or a directory where a file is expected).",
            "Make it a readable regular file, or move it out of the program folders.",
        ),
        Rule("SK002", "invalid-encoding", _E, "A file is not valid UTF-8.", "Re-save the file as UTF-8."),
        Rule(
            "SK003",
            "byte-order-mark",
            _W,
            "A file starts with a UTF-8 byte-order mark.",
            "Re-save the file as UTF-8 without BOM.",
        ),
        Rule(
            "SK004",
            "crlf-line-endings",
            _W,
            "A file uses Windows (CRLF) line endings.",
            "Convert to LF; add `* text=auto eol=lf` to .gitattributes.",
        ),
        Rule("SK005", "empty-document", _E, "A program file is empty.", "Fill it in from `soc2kit new`, or delete it."),
        Rule(
            "SK006",
            "front-matter-missing",
            _E,
            "A Markdown document has no front-matter, or it is not closed by a `---` line.",
            "Start the file with `---`, the YAML keys, then a closing `---` line.",
        ),
        Rule(
            "SK007",
            "yaml-syntax",
            _E,
            "The YAML cannot be parsed.",
            "Fix the YAML at the line shown; quote values that contain `: ` or start with a special character.",
        ),
        Rule(
            "SK008",
            "unsafe-yaml-tag",
            _E,
            "The YAML uses a tag (such as `!!python/object`); only plain YAML is accepted.",
            "Remove the tag and write a plain value.",
        ),
        Rule(
            "SK009",
            "duplicate-key",
            _E,
            "A YAML mapping has the same key twice; only one value could win.",
            "Keep one of the two keys.",
        ),
        Rule(
            "SK010",
            "invalid-value",
            _E,
            "A field is missing, or its value has the wrong type or form.",
            "Give the field a value of the documented form (see the file formats in README.md).",
        ),
        Rule(
            "SK011",
            "unknown-key",
            _E,
            "A key is not part of the document's format (often a typo).",
            "Rename the key to a known one, or remove it.",
        ),
        Rule(
            "SK012",
            "control-section-missing",
            _E,
            "A control's body lacks a non-empty `## Description` or `## Test procedure` section.",
            "Add the section with the steps an auditor follows.",
        ),
        Rule(
            "SK013",
            "policy-section-missing",
            _W,
            "A policy's body lacks one of the standard sections.",
            "Add the section (Purpose, Scope, Roles and responsibilities, Policy statements, Exceptions, Enforcement, Review).",
        ),
        Rule(
            "SK014",
            "placeholder-text",
            _E,
            "A document still holds placeholder text that `soc2kit new` wrote (marked `TODO(soc2kit)`).",
            "Replace the placeholder with what the company really does, and remove the marker.",
        ),
        Rule(
            "SK015",
            "document-too-large",
            _E,
            "A document is larger than soc2kit reads: too many bytes, too many values once YAML aliases are expanded, nesting too deep, or an alias inside itself.",
            "Write the values out plainly; program documents need no aliases, no deep nesting and no more than a few kilobytes.",
        ),
        Rule(
            "SK020",
            "invalid-config",
            _E,
            "`soc2kit.yml` is missing, unreadable or invalid; the scope of the program is unknown.",
            "Create or fix `soc2kit.yml` (see README.md); `soc2kit init` writes one.",
        ),
        Rule(
            "SK021",
            "unknown-rule",
            _W,
            "`soc2kit.yml` sets the severity of a rule that does not exist.",
            "Use a rule code (SK201) or name (uncovered-criterion) from the rule table.",
        ),
        Rule(
            "SK022",
            "config-placeholder",
            _W,
            "`soc2kit.yml` still holds a placeholder that `soc2kit init` wrote (marked `TODO(soc2kit)`), such as the system's name when none was given.",
            "Write the real value in its place (the system is the product or service the audit covers).",
        ),
        Rule(
            "SK101",
            "duplicate-id",
            _E,
            "Two documents share an ID (compared case-insensitively).",
            "Give one of them a new ID; `soc2kit new` picks the next free one.",
        ),
        Rule(
            "SK102",
            "unknown-criterion",
            _E,
            "A control maps to a criterion that is not in the catalog.",
            "Use a criterion ID from the catalog (for example CC6.1).",
        ),
        Rule(
            "SK103",
            "unknown-policy",
            _E,
            "A control names a policy that does not exist.",
            "Reference an existing policy ID, or add the policy.",
        ),
        Rule(
            "SK104",
            "unknown-control",
            _E,
            "An evidence record names a control that does not exist.",
            "Reference an existing control ID.",
        ),
        Rule(
            "SK105",
            "unknown-requirement",
            _E,
            "An evidence record names a requirement its control does not define.",
            "Use one of the control's `evidence` requirement IDs.",
        ),
        Rule(
            "SK106",
            "broad-control",
            _W,
            "A control maps to more than four criteria; it probably claims more than it does.",
            "Map the control to the one to four criteria it really addresses.",
        ),
        Rule(
            "SK107",
            "unknown-mention",
            _W,
            "A document's text names a control or policy ID that does not exist (only IDs with a prefix the program uses).",
            "Correct the ID in the text, or add the document it names.",
        ),
        Rule(
            "SK201",
            "uncovered-criterion",
            _E,
            "An in-scope criterion has no control mapped to it.",
            "Map a control to the criterion, or exclude it in `soc2kit.yml` with a reason.",
        ),
        Rule(
            "SK202",
            "exclusion-without-reason",
            _E,
            "An exclusion in `soc2kit.yml` gives no reason; auditors ask for one.",
            "Add a `reason` saying why the criterion does not apply.",
        ),
        Rule(
            "SK203",
            "exclusion-unknown-criterion",
            _E,
            "An exclusion names a criterion that is not in the catalog.",
            "Use a criterion ID from the catalog.",
        ),
        Rule(
            "SK204",
            "control-without-policy",
            _W,
            "A control implements no policy.",
            "List the policy the control carries out under `policies`.",
        ),
        Rule(
            "SK205",
            "control-out-of-scope",
            _I,
            "Every criterion a control maps to is out of scope or excluded.",
            "Nothing to do if intended; the control is not counted for coverage.",
        ),
        Rule(
            "SK301",
            "approved-without-approver",
            _E,
            "An approved policy names no approver.",
            "Set `approver` to the role that approved it.",
        ),
        Rule(
            "SK302",
            "review-overdue",
            _W,
            "A policy is past its review date (last review plus its review interval).",
            "Review the policy, then update `last_reviewed` (and `version` if it changed).",
        ),
        Rule(
            "SK303",
            "policy-without-controls",
            _W,
            "An approved policy is implemented by no control.",
            "Reference the policy from the controls that carry it out.",
        ),
        Rule(
            "SK304",
            "policy-not-approved",
            _E,
            "Controls rely on a policy that is still a draft (or retired): nobody has approved what they carry out.",
            "Have the approver approve it, then set `status: approved`, `approver`, `version` and `effective`.",
        ),
        Rule(
            "SK305",
            "policy-effective-late",
            _E,
            "Controls rely on a policy that takes effect after the Type II period starts (or after the Type I as-of date).",
            "If it was in force earlier, correct `effective`; otherwise start the period on or after that day.",
        ),
        Rule(
            "SK306",
            "statement-untested",
            _W,
            "A policy statement names no control that tests it (no closing `Tested by:` sentence with control IDs).",
            "End the statement with a sentence like `Tested by: AC-06, AC-09.` naming the controls an auditor tests it with.",
        ),
        Rule(
            "SK307",
            "statement-unknown-control",
            _E,
            "A policy statement's `Tested by:` sentence names a control that does not exist, or something that is not a control ID.",
            "Name existing control IDs, separated by commas (`Tested by: AC-06, AC-09.`).",
        ),
        Rule(
            "SK308",
            "statement-control-unlinked",
            _E,
            "A policy statement names a control as testing it, but the control does not list the policy under `policies`.",
            "Add the policy to the control's `policies`, or name the control that carries out this policy.",
        ),
        Rule(
            "SK309",
            "statement-limit-disagrees",
            _W,
            "A control states a limit (days, business days, hours, months, how often, a sample size, a number of "
            "approvals or people) that disagrees with the limit of the same kind in the policy statement it tests.",
            "Make the two numbers agree: change the policy statement or the control, whichever is wrong.",
        ),
        Rule(
            "SK401",
            "evidence-file-missing",
            _E,
            "A file listed in an evidence record does not exist.",
            "Restore the file, or correct its path in the record.",
        ),
        Rule(
            "SK402",
            "evidence-hash-mismatch",
            _E,
            "An evidence file's sha256 differs from its record: it changed after it was recorded.",
            "Restore the original file; record new evidence as a new record.",
        ),
        Rule(
            "SK403",
            "control-without-evidence",
            _W,
            "A control has no evidence record that counts yet, or in a Type II audit only design records (they show how it is "
            "built, not that it operated), while the audit period runs (once it has ended, SK501 names each missed window).",
            "Collect evidence of its operation with `soc2kit evidence add` (design records: `--purpose design`).",
        ),
        Rule(
            "SK404",
            "evidence-path-escape",
            _E,
            "An evidence file path leaves the repository (absolute, `..`, or a link pointing outside).",
            "Keep evidence files inside `evidence/`.",
        ),
        Rule(
            "SK405",
            "evidence-file-unrecorded",
            _W,
            "A file under `evidence/` is named by no evidence record (`soc2kit evidence verify`).",
            "Record it with `soc2kit evidence add`, or remove it.",
        ),
        Rule(
            "SK406",
            "evidence-changed-after-commit",
            _E,
            "An evidence file or record was changed by a commit after the one that first added it (`soc2kit evidence verify`).",
            "Evidence is never edited: restore the original and record new evidence as a new record.",
        ),
        Rule(
            "SK407",
            "evidence-collected-after-commit",
            _E,
            "A record's `collected` date is later than the commit that added it: the date is wrong or back-dated (`soc2kit evidence verify`).",
            "Correct `collected` to the day the evidence was really collected, in a new record.",
        ),
        Rule(
            "SK408",
            "evidence-not-committed",
            _W,
            "An evidence record or file is not committed, or has uncommitted changes: Git cannot vouch for when it arrived (`soc2kit evidence verify`).",
            "Commit it (`soc2kit evidence add --commit` does), or restore the committed version.",
        ),
        Rule(
            "SK409",
            "evidence-record-without-files",
            _E,
            "An evidence record lists no files, so there is nothing to verify and it satisfies no window.",
            "Record the evidence itself with `soc2kit evidence add CONTROL FILE...`, or list its files with their sha256.",
        ),
        Rule(
            "SK410",
            "evidence-committed-late",
            _E,
            "A record was first committed longer after its `collected` date than the evidence grace period (`audit.evidence_grace`): Git cannot vouch that it existed then, so it may be back-dated (`soc2kit evidence verify`).",
            "Commit evidence as it is collected (`soc2kit evidence add --commit`); if the date is right, give the auditor the evidence's own proof of when it was produced.",
        ),
        Rule(
            "SK411",
            "evidence-line-endings-unprotected",
            _W,
            "The program is in a Git repository whose attributes let Git convert line endings in evidence files (`core.autocrlf`), which changes their sha256.",
            "Add `evidence/** -text` to the `.gitattributes` at the program root (`soc2kit init` writes it), then commit it.",
        ),
        Rule(
            "SK421",
            "collected-check-failed",
            _E,
            "A collector's check found a problem in the newest collected evidence of a requirement (a user without a second factor, a public bucket): the control is failing, not only its evidence.",
            "Fix the named items in the system, then collect again with `soc2kit collect`.",
        ),
        Rule(
            "SK422",
            "collector-unknown",
            _E,
            "An evidence requirement names a collector (`collector: NAME/DATASET`) that is not installed.",
            "Install the package that provides it, or correct the name (the finding lists the installed collectors; docs/collectors.md).",
        ),
        Rule(
            "SK423",
            "collector-dataset-unknown",
            _E,
            "An evidence requirement names a dataset the collector does not provide.",
            "Name one of the collector's datasets (docs/collectors.md lists them for the built-in collectors).",
        ),
        Rule(
            "SK424",
            "collected-file-unreadable",
            _E,
            "The newest record of a collector-fed requirement holds its snapshot file, but it cannot be read as JSON (too large, not UTF-8, not JSON), so its checks cannot run.",
            "Collect again with `soc2kit collect`; never edit collected files by hand.",
        ),
        Rule(
            "SK425",
            "collector-failed",
            _E,
            "A collector failed: the system refused or failed (`soc2kit collect` names the system, the error and any missing permission), or the collector returned or checked data it could not handle. Its evidence is missing, not silently skipped.",
            "Give the credentials the permission named, or fix what the error names, then collect again.",
        ),
        Rule(
            "SK426",
            "collector-broken",
            _E,
            "An installed collector plugin cannot be used: it fails to import or to be created, or it does not provide the collector interface.",
            "Fix or reinstall the package that provides it (docs/collectors.md, writing a collector).",
        ),
        Rule(
            "SK427",
            "collected-secret-refused",
            _E,
            "A collector returned data that looks like it holds a credential; `soc2kit collect` refused to record it and wrote nothing for it.",
            "Make the collector leave credentials out of what it returns; rotate the credential if it was real.",
        ),
        Rule(
            "SK601",
            "change-without-pull-request",
            _E,
            "A change to the program (soc2kit.yml, policies, controls, the change exceptions register), its workflows or CODEOWNERS reached the main branch without a pull request: not merged by GitHub (a `Merge pull request #N` or `(#N)` subject counts only when GitHub committed it), or, with a token, not a pull request GitHub knows (`soc2kit changes check`).",
            "Make every change through a reviewed pull request, and protect the main branch so direct pushes are refused.",
        ),
        Rule(
            "SK602",
            "self-approved-change",
            _E,
            "A change was approved by one of its own authors (for a merge, the authors of the merged commits, not the merger): a GitHub review by the pull request's author or a commit author, or an `Approved-by:`/`Reviewed-by:` trailer naming an author (`soc2kit changes check`).",
            "Someone who wrote none of the change must approve it.",
        ),
        Rule(
            "SK603",
            "history-cut",
            _W,
            "The clone is shallow, so changes older than its oldest commit cannot be checked (`soc2kit changes check`).",
            "Fetch the whole history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout).",
        ),
        Rule(
            "SK604",
            "bad-signature",
            _W,
            "A policy or control change on the main branch carries a signature Git reports as bad or made with a revoked key (`soc2kit changes check`).",
            "Find out who made the commit and why its signature fails; re-sign it through a new pull request.",
        ),
        Rule(
            "SK605",
            "change-without-approval",
            _E,
            "A pull request changed the program, its workflows or CODEOWNERS with no approval recorded from someone other than its authors: no counted GitHub review (read with a token) and no `Approved-by:`/`Reviewed-by:` trailer (`soc2kit changes check`).",
            "Require an approving review before merging; give `changes check` a token to read reviews (GITHUB_TOKEN with `pull-requests: read`). For a past change, record the decision in registers/change-exceptions.yml.",
        ),
        Rule(
            "SK606",
            "change-exception-unmatched",
            _W,
            "An entry of registers/change-exceptions.yml names a commit that is not on the checked branch's history of gated changes, a prefix that matches several, or a finding that commit does not have (`soc2kit changes check`).",
            "Write the full commit sha and the rule code `changes check` reports for it, or remove the entry.",
        ),
        Rule(
            "SK607",
            "change-exception-invalid",
            _E,
            "An entry of registers/change-exceptions.yml names a rule code that is not a change finding (SK601, SK602, SK604, SK605), or is dated in the future, or the register uses YAML anchors, aliases or merge keys (then no entry of that version counts) (`soc2kit changes check`).",
            "Use the code `changes check` reported for the commit; other findings cannot be excepted here.",
        ),
        Rule(
            "SK608",
            "change-history-excepted-at-adoption",
            _I,
            "An adoption entry of registers/change-exceptions.yml (`before:` the first commit under the gate, `findings:`) excepted findings on the main-line commits before it; their number is counted here, each stays listed as excepted (`soc2kit changes check`).",
            "Nothing to do: this records the decision taken when the gate was adopted. Later commits are judged in full.",
        ),
        Rule(
            "SK611",
            "production-change-unreviewed",
            _E,
            "A change reached a product repository's default branch in the period with no approval from someone other than its authors, or without a pull request (`soc2kit changes population`).",
            "Review the change after the fact and record the decision for the auditor; require pull requests with an approving review in the branch protection.",
        ),
        Rule(
            "SK612",
            "production-change-self-approved",
            _E,
            "A production pull request's only approvals came from its own authors (the pull request's author or an author of its commits) (`soc2kit changes population`).",
            "Have someone who wrote none of the change review it; require an approval from someone other than the last pusher in the branch protection.",
        ),
        Rule(
            "SK613",
            "production-change-unchecked",
            _E,
            "A required status check of the branch protection did not run, or did not succeed, on a merged pull request's head (`soc2kit changes population`).",
            "Find out why the check was bypassed; keep required checks on, with administrators included.",
        ),
        Rule(
            "SK614",
            "production-branch-unprotected",
            _E,
            "A product repository's default branch has no branch protection when its change population is collected (`soc2kit changes population`).",
            "Protect the branch: require pull requests with approvals, required status checks, and include administrators.",
        ),
        Rule(
            "SK501",
            "evidence-window-missing",
            _W,
            "The Type II audit period has ended and a control's frequency window has no evidence record (a Type I demands no window).",
            "Record the evidence for the window with `covers` set to it; if it was never produced, document the exception for the auditor.",
        ),
        Rule(
            "SK502",
            "evidence-stale",
            _W,
            "A control's newest evidence is older than one frequency window plus the grace period (`audit.evidence_grace`).",
            "Collect current evidence; run `soc2kit status` to see every stale requirement.",
        ),
        Rule(
            "SK503",
            "audit-period-too-long",
            _W,
            "The Type II audit period is longer than 12 months.",
            "Use an observation period of 3 to 12 months.",
        ),
        Rule(
            "SK504",
            "audit-period-shorter-than-window",
            _W,
            "The audit period is shorter than one window of a frequency the controls use (an annual control in a 6-month period).",
            "Lengthen the period, or make sure each such control operates inside it.",
        ),
        Rule(
            "SK505",
            "covers-outside-period",
            _W,
            "An evidence record collected during the audit period covers a range entirely outside it, so it counts for no window.",
            "Correct `covers` (often a wrong year), or drop it to use the collected date.",
        ),
        Rule(
            "SK506",
            "evidence-dated-in-future",
            _E,
            "An evidence record is collected, or covers days, after today in the audit's time zone.",
            "Correct the dates; evidence can only show what has already happened.",
        ),
        Rule(
            "SK507",
            "covers-straddles-windows",
            _W,
            "A record's `covers` range spans two frequency windows without covering either fully, so it satisfies neither.",
            "Split it into one record per window, or set `covers` to the window it belongs to.",
        ),
        Rule(
            "SK731",
            "design-record-missing",
            _W,
            "The Type I as-of date has passed and an in-scope control has no design record (or other record that counts) on or before it.",
            "Record how the control is designed as of that date (walkthrough notes, a configuration screenshot): "
            "`soc2kit evidence add CONTROL FILE --purpose design --collected DATE`.",
        ),
        Rule(
            "SK701",
            "system-part-missing",
            _E,
            "The program has a system description (a `system/` folder) but no document for one of its required parts.",
            "Add `system/<part>.md` with `part: <name>`, a title, an owner and the part's text (docs/system-description.md lists the parts).",
        ),
        Rule(
            "SK702",
            "system-part-placeholder",
            _E,
            "A part of the system description is still a placeholder: no text beyond headings, a TODO/TBD/FIXME marker, "
            "bracketed placeholder text, or the outline's guidance sentence unchanged.",
            "Write what the system really is in place of the placeholder; the guidance sentence says what the part must cover.",
        ),
        Rule(
            "SK703",
            "system-part-duplicate",
            _E,
            "Two documents of the system description are the same part; the one read first (by path) counts.",
            "Merge them into one document, or correct the `part` of the one that describes another part.",
        ),
        Rule(
            "SK704",
            "system-part-review-overdue",
            _W,
            "A part of the system description has never been reviewed (`last_reviewed`), or not in the last 12 months.",
            "Have the part's owner check it against the system as it is, then set `last_reviewed` to that day.",
        ),
        Rule(
            "SK705",
            "system-part-reviewed-in-future",
            _E,
            "A part of the system description is dated `last_reviewed` after today in the audit's time zone.",
            "Set `last_reviewed` to the day the review really happened.",
        ),
        Rule(
            "SK706",
            "system-events-not-reviewed-for-period",
            _W,
            "The incidents or significant changes part was last reviewed before the audit period began, or, once the "
            "period (or the Type I as-of date) has passed, before it ended, so it does not speak for the whole period.",
            "Review the part against the incident and change records of the period, then set `last_reviewed`.",
        ),
        Rule(
            "SK707",
            "system-not-named",
            _W,
            "The services part of the system description never names the system that `soc2kit.yml` says the audit covers.",
            "Name the system (`system.name` in soc2kit.yml) in the services part, or correct the name in soc2kit.yml.",
        ),
        Rule(
            "SK708",
            "commitments-category-missing",
            _W,
            "The principal service commitments part says nothing about a trust services category that is in scope.",
            "Add what the company commits to customers for that category, and where the commitment is made.",
        ),
        Rule(
            "SK709",
            "subservice-organization-not-described",
            _W,
            "A subservice organization in the register is named nowhere in the system description.",
            "Name it in the infrastructure or boundaries part: what it provides, and whether it is carved out or included.",
        ),
        Rule(
            "SK711",
            "subservice-report-missing",
            _E,
            "A carve-out subservice organization in registers/subservice-organizations.yml has no SOC report on file (`report:`).",
            "Obtain its current SOC 2 report and record its type, period (or as-of date) and opinion date under `report:`.",
        ),
        Rule(
            "SK712",
            "subservice-report-expired",
            _E,
            "A subservice organization's SOC report ends (period end, or as-of date) more than 12 months before the audit's reference day (its period end or as-of date, or today if earlier).",
            "Obtain the organization's current report and record it under `report:`.",
        ),
        Rule(
            "SK713",
            "subservice-report-gap",
            _W,
            "A subservice organization's SOC report, with its bridge letter if any, ends before the audit's reference day (its period end or as-of date, or today if earlier), so part of our period is not covered.",
            "Obtain a bridge letter (`report.bridge_letter.through`) that reaches the end of our period, or the newer report.",
        ),
        Rule(
            "SK714",
            "complementary-control-unmapped",
            _E,
            "A complementary subservice organization control (CSOC) or complementary user entity control (CUEC) maps to no criterion.",
            "List the criteria it supports under its `criteria:`.",
        ),
        Rule(
            "SK715",
            "register-unknown-criterion",
            _E,
            "A subservice organization, CSOC or CUEC names a criterion ID that is not in the catalog.",
            "Use criterion IDs from the catalog, such as CC6.4 or A1.2.",
        ),
        Rule(
            "SK716",
            "carve-out-without-csoc",
            _E,
            "A criterion in scope that a carve-out subservice organization bears on has none of its CSOCs mapped to it.",
            "Add the control the report relies on the organization for under its `csocs:`, mapped to the criterion.",
        ),
        Rule(
            "SK717",
            "exclusion-is-carve-out",
            _E,
            "An exclusion in soc2kit.yml gives a provider's own controls or SOC report as its reason, or excludes a criterion "
            "the subservice register carves out: that is a carve-out, not an exclusion, and the criterion stays in scope.",
            "Remove the exclusion and list the provider in registers/subservice-organizations.yml (method carve-out) with its CSOCs.",
        ),
        Rule(
            "SK718",
            "register-duplicate-id",
            _E,
            "Two entries of a register (subservice organizations, CSOCs and CUECs, deviations) have the same ID; only the first one counts.",
            "Give the second entry an ID of its own, or merge the two.",
        ),
        Rule(
            "SK719",
            "register-unknown-control",
            _E,
            "A deviation names a control or requirement that does not exist, or a subservice organization's `monitored_by` names a control that does not exist.",
            "Use the ID of an existing control (and one of its evidence requirements).",
        ),
        Rule(
            "SK720",
            "deviation-window-unknown",
            _E,
            "A deviation's `window` is not a window of its control (or requirement) in the audit: a label such as 2026-Q1 or 2026-03 as `soc2kit status` shows it.",
            "Write the window label exactly as `soc2kit status` shows it for that control.",
        ),
        Rule(
            "SK721",
            "deviation-unplaced",
            _E,
            "A deviation names neither a window nor a sample item, so nobody can tell which occurrence it is about.",
            "Add `window:` (the window it affected) or `sample:` (the ticket, pull request or person it is about).",
        ),
        Rule(
            "SK722",
            "deviation-not-approved",
            _W,
            "A deviation has no management approval yet (`approved_by` and `approved_on`, on or before today), so readiness does not count it.",
            "Have management review the response and record who approved it and when.",
        ),
        Rule(
            "SK723",
            "subservice-unmonitored",
            _W,
            "A carve-out subservice organization names none of our controls in `monitored_by`: nothing shows we review its report and CSOCs.",
            "Name the vendor review control that monitors it under `monitored_by:`.",
        ),
        Rule(
            "SK724",
            "subservice-report-dates",
            _E,
            "A subservice organization's report dates contradict each other or today: an opinion dated before the end of what it covers or after today, or a bridge letter that ends before the report does.",
            "Correct the dates from the report and the bridge letter.",
        ),
    )
}

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES.values()}


SYSTEM_FINDINGS = frozenset({"SK421"})
"""Findings about the system a collected snapshot shows (a user without a second factor), not about the
evidence itself: `check` reports them; `evidence verify`, which vouches for the records, does not."""


def find_rule(key: str) -> Rule | None:
    """Look a rule up by code (`SK201`, any case) or by name (`uncovered-criterion`)."""
    return RULES.get(key.upper()) or RULES_BY_NAME.get(key.lower())
