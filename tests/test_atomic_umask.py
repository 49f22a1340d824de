"""Files and directories nerspec writes get the modes the user's umask gives (not mkstemp's 0600 / 0700)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_files_and_staged_dirs_respect_the_umask(tmp_path: Path) -> None:
    # A fresh process per umask: nerspec reads the umask once per process.
    code = (
        "import os, sys; from pathlib import Path; os.umask(int(sys.argv[2], 8)); from nerspec import atomic\n"
        "root = Path(sys.argv[1]); atomic.write_text(root / 'report.md', 'x')\n"
        "with atomic.staged_dir(root / 'model') as d: (d / 'f').write_text('y')\n"
    )
    for mask, file_mode, dir_mode in (("022", 0o644, 0o755), ("077", 0o600, 0o700), ("002", 0o664, 0o775)):
        root = tmp_path / mask
        root.mkdir()
        subprocess.run([sys.executable, "-c", code, str(root), mask], check=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert _mode(root / "report.md") == file_mode, mask
        assert _mode(root / "model") == dir_mode, mask
