"""Evidence: add it to a program and verify it later.

secrets     find_secrets(path): credentials that look real, found before a file is added
add         add_evidence(root, AddRequest) -> AddResult: one record folder, written atomically
verify      verify_evidence(program, history), evidence_flaws(program, history), file_flaws(program):
            digests recomputed, unrecorded files, evidence changed after it was committed
digests     file_sha256, lfs_pointer_oid live in `soc2kit.digests`
"""

from soc2kit.evidence.add import STAGING_PREFIX, AddRequest, AddResult, _yaml_scalar, add_evidence
from soc2kit.evidence.secrets import find_secrets
from soc2kit.evidence.verify import Flaws, evidence_flaws, file_flaws, verify_evidence

__all__ = [
    "STAGING_PREFIX",
    "AddRequest",
    "AddResult",
    "Flaws",
    "_yaml_scalar",
    "add_evidence",
    "evidence_flaws",
    "file_flaws",
    "find_secrets",
    "verify_evidence",
]
