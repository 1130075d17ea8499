"""The public API is what `soc2kit/__init__.py` exports, each name once, and it loads lazily;
whatever an exported function returns or raises is exported too."""

from __future__ import annotations

import ast
import builtins
import inspect
import re
import subprocess
import sys
from types import ModuleType

import soc2kit


def _defined_in(module: ModuleType, name: str) -> str | None:
    """The module `name` comes from as `module` sees it, including imports made only for type checking."""
    if name in vars(module):
        value = vars(module)[name]
        return getattr(value, "__module__", None) or type(value).__module__
    imported = re.search(rf"^\s*from ([\w.]+) import [^\n]*\b{name}\b", inspect.getsource(module), re.MULTILINE)
    if imported:
        return imported.group(1)
    return "builtins" if hasattr(builtins, name) else None


def _named_types(annotation: str) -> set[str]:
    return {node.id for node in ast.walk(ast.parse(annotation, mode="eval")) if isinstance(node, ast.Name)}


def _documented_exceptions(doc: str) -> set[str]:
    return set(re.findall(r"\b([A-Z]\w*(?:Error|Exception))\b", doc))


def test_everything_an_exported_function_returns_or_raises_is_exported() -> None:
    missing = []
    for name in soc2kit.__all__:
        value = getattr(soc2kit, name)
        if not inspect.isfunction(value):
            continue
        module = sys.modules[value.__module__]
        returned = value.__annotations__.get("return")
        assert isinstance(returned, str), f"{name} has no return annotation"
        for type_name in _named_types(returned) | _documented_exceptions(inspect.getdoc(value) or ""):
            origin = _defined_in(module, type_name)
            if type_name not in soc2kit.__all__ and (origin is None or origin.startswith("soc2kit")):
                missing.append(f"{name} -> {type_name} ({origin or 'unresolved'})")
    assert missing == []


def test_the_package_docstring_indexes_every_export_and_says_what_is_stable() -> None:
    doc = soc2kit.__doc__ or ""
    for name in soc2kit.__all__:
        if name != "__version__":
            assert re.search(rf"\b{name}\b", doc), f"{name} is exported but not in the package docstring"
    assert "Exception types are API" in doc
    assert "Messages are not API" in doc


def test_every_export_resolves_once() -> None:
    assert len(soc2kit.__all__) == len(set(soc2kit.__all__))
    for name in soc2kit.__all__:
        assert getattr(soc2kit, name) is not None


def test_cli_import_does_not_load_the_models() -> None:
    code = "import sys, soc2kit.cli; print('pydantic' in sys.modules, 'yaml' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_load_program_cross_links_both_ways(program_dir) -> None:  # type: ignore[no-untyped-def]
    program = soc2kit.load_program(program_dir.root, use_cache=False)
    control = program.controls["TC-01"]
    criterion = program.criteria_of(control)[0]
    assert control in program.controls_of(criterion)
    policy = program.policies_of(control)[0]
    assert control in program.controls_of(policy)
    [record] = program.evidence_of(control)
    assert program.controls[record.control] is control
    assert program.source("control", "TC-01").path == "controls/TC-01.md"


def test_reading_and_checking_are_exported_apart_from_loading(program_dir) -> None:  # type: ignore[no-untyped-def]
    program_dir.replace("controls/TC-02.md", "## Test procedure", "## Testing")
    read = soc2kit.read_program(program_dir.root, use_cache=False)
    assert "SK012" not in {d.code for d in read.diagnostics}
    found = soc2kit.check_program(read)
    assert "SK012" in {d.code for d in found}
    assert found == read.diagnostics == soc2kit.load_program(program_dir.root, use_cache=False).diagnostics
    assert soc2kit.load_program(program_dir.root, check=False, use_cache=False).diagnostics == []


def _files_under(root) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    return {str(path.relative_to(root)): (path.lstat().st_size, path.lstat().st_mtime_ns) for path in root.rglob("*")}


def test_load_program_writes_nothing_into_the_program_folder(program_dir, private_cache_home) -> None:  # type: ignore[no-untyped-def]
    before = _files_under(program_dir.root)
    soc2kit.load_program(program_dir.root)
    soc2kit.load_program(program_dir.root)
    assert _files_under(program_dir.root) == before
    assert any(path.is_file() for path in private_cache_home.rglob("*")), "the cache is written, outside the program"


def test_load_program_forks_no_worker_unless_asked(program_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from soc2kit import reading

    pools = []
    real_pool = reading.ProcessPoolExecutor

    def counted_pool(*args, **kwargs):  # type: ignore[no-untyped-def]
        pools.append(kwargs.get("max_workers"))
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(reading, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(reading, "ProcessPoolExecutor", counted_pool)
    monkeypatch.setenv("SOC2KIT_JOBS", "2")
    serial = soc2kit.load_program(program_dir.root, use_cache=False).diagnostics
    assert pools == []
    assert soc2kit.load_program(program_dir.root, use_cache=False, jobs=2).diagnostics == serial
    assert pools == [2]


def test_load_program_leaves_the_garbage_collector_to_a_host_with_threads(program_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gc
    import threading

    from soc2kit import program as program_module

    seen = []
    real_index = program_module._index

    def observed_index(program):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        real_index(program)

    monkeypatch.setattr(program_module, "_index", observed_index)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        soc2kit.load_program(program_dir.root, use_cache=False)
    finally:
        release.set()
        other.join()
    assert seen == [True]
    assert gc.isenabled()


def test_load_program_restores_the_garbage_collector_when_it_fails(program_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gc

    import pytest

    from soc2kit import program as program_module

    def broken_index(_program):  # type: ignore[no-untyped-def]
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(program_module, "_index", broken_index)
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="broken on purpose"):
        soc2kit.load_program(program_dir.root, use_cache=False)
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(RuntimeError):
            soc2kit.load_program(program_dir.root, use_cache=False)
        assert not gc.isenabled(), "a host that switched the collector off keeps it off"
    finally:
        gc.enable()


def test_load_program_leaves_what_a_host_froze_frozen(program_dir) -> None:  # type: ignore[no-untyped-def]
    """A server that froze its objects before forking workers (gc.freeze) keeps them frozen: loading
    moves only its own objects to the oldest generation, and not at all in such a host."""
    import gc

    assert gc.get_freeze_count() == 0
    soc2kit.load_program(program_dir.root, use_cache=False)
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        soc2kit.load_program(program_dir.root, use_cache=False)
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()
