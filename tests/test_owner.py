"""Other hosts' staging directories: left alone while their heartbeat lasts, removed once it stops."""

from __future__ import annotations

import os
import time
from pathlib import Path

from nerspec import owner
from nerspec.paths import StatePaths
from nerspec.staging import remove_stale_partials


def _foreign(models: Path, name: str = "abc") -> Path:
    other = "0" * 8 if owner._host() != "0" * 8 else "1" * 8
    staged = models / f".{name}.o{other}-{os.getpid()}-1.xyz.partial"  # our pid, another host: pid means nothing
    staged.mkdir(parents=True)
    (staged / "model.bin").write_bytes(b"half")
    return staged


def test_another_hosts_training_is_kept_until_its_heartbeat_stops(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path)
    alive, dead = _foreign(paths.models, "alive"), _foreign(paths.models, "dead")
    quiet_for = owner.FOREIGN_STALE_S + 60  # no write for minutes: a training between checkpoints
    for path in (alive / "model.bin", dead / "model.bin", dead):
        os.utime(path, (time.time() - quiet_for, time.time() - quiet_for))
    os.utime(alive, (time.time() - 5, time.time() - 5))  # its heartbeat, seconds ago
    remove_stale_partials(paths, time.time())  # what a concurrent apply does, holding the lock
    assert alive.is_dir() and (alive / "model.bin").is_file()
    assert not dead.exists()


def test_heartbeat_touches_the_directory_and_stops_with_the_block(tmp_path: Path) -> None:
    folder = tmp_path / "staged"
    folder.mkdir()
    os.utime(folder, (1, 1))
    with owner.heartbeat(folder, every=0.02):
        assert folder.stat().st_mtime > 1
        os.utime(folder, (1, 1))
        deadline = time.monotonic() + 5
        while folder.stat().st_mtime == 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert folder.stat().st_mtime > 1  # beats keep coming
    os.utime(folder, (1, 1))
    time.sleep(0.1)
    assert folder.stat().st_mtime == 1  # and stop with the block
    assert list(folder.iterdir()) == []  # no file that could end up in an artifact
