"""Facts written once (issue 10): the ID grammar in soc2kit.models, the program's folders and which
path is which kind of document in soc2kit.layout. Every reader of those facts must agree with the one copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from soc2kit import bundle, documents, layout, models, starter, trail
from soc2kit.site import portal

# Every rule layout applies: folder guides, hidden and private names, wrong suffixes, nested folders,
# a folder named like a document, files outside the program's folders.
TREE = (
    "policies/access.md",
    "policies/README.md",
    "policies/index.md",
    "policies/_draft.md",
    "policies/.hidden.md",
    "policies/notes.txt",
    "policies/access.yaml",
    "policies/team/nested.md",
    "controls/AC-01.md",
    "controls/index.md",
    "controls/AC-02.yml",
    "evidence/AC-01/q1/record.yaml",
    "evidence/AC-01/q1/export.csv",
    "evidence/AC-01/q2.yml",
    "evidence/README.md",
    "evidence/top.yaml",
    "evidence/folder.yaml/inside.txt",
    "docs/guide.md",
    "other.yaml",
)


@pytest.fixture
def program_tree(tmp_path: Path) -> Path:
    for relpath in TREE:
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_text("x\n", encoding="utf-8")
    return tmp_path


def test_the_reader_the_trail_and_the_bundle_agree_on_what_each_path_is(program_tree: Path) -> None:
    read = dict(layout.program_documents(program_tree))
    assert set(read) == {
        "policies/access.md",
        "policies/team/nested.md",
        "controls/AC-01.md",
        "evidence/AC-01/q1/record.yaml",
        "evidence/AC-01/q2.yml",
        "evidence/top.yaml",
        "evidence/folder.yaml",  # read, so that the reader can say it is not a file
    }
    for relpath in (*TREE, "evidence/folder.yaml"):
        folder = layout.folder_of(relpath)
        assert (folder is not None) == (relpath in read), relpath
        if folder is not None:
            assert folder == read[relpath]
            assert trail._kind(relpath) == folder.kind
        assert bundle._is_policy(relpath) == (folder is not None and folder.kind == "policy"), relpath
    assert trail._kind(layout.CONFIG_FILE) == "config"
    assert trail._kind("evidence/AC-01/q1/export.csv") == "evidence-file"
    assert trail._kind("evidence/README.md") == "other"


def test_the_program_paths_are_the_config_and_the_folders() -> None:
    assert (layout.CONFIG_FILE, *(f.name for f in layout.FOLDERS), *layout.REGISTERS) == layout.PROGRAM_PATHS
    assert (layout.CONFIG_FILE, *layout.MARKDOWN_FOLDERS) == starter.STARTER_PARTS
    assert set(layout.DOCUMENT_SUFFIXES) == {s for f in layout.FOLDERS for s in f.suffixes}


@pytest.mark.parametrize("mention", [documents._MENTION, portal._MENTION])
def test_mentions_in_prose_use_the_id_grammar_of_the_models(mention: re.Pattern[str]) -> None:
    assert models.ID_MENTION in mention.pattern
    for pattern in (models.POLICY_ID, models.CONTROL_ID):
        example = models.ID_EXAMPLES[pattern]
        found = mention.search(f"see {example} here")
        assert found is not None
        assert found.group(0) == example


def test_the_mention_grammar_accepts_exactly_the_ids_the_models_accept() -> None:
    samples = ["POL-AC", "POL-AC-2", "POL-", "pol-ac", "AC-04", "A-04", "ACCESS1-04", "AC-4", "AC-12345", "X1-999"]
    for sample in samples:
        whole_id = bool(re.fullmatch(models.POLICY_ID, sample) or re.fullmatch(models.CONTROL_ID, sample))
        assert bool(re.fullmatch(models.ID_MENTION, sample)) == whole_id, sample
    assert re.fullmatch(models.CONTROL_PREFIX, "AC")
    assert not re.fullmatch(models.CONTROL_PREFIX, "A")
