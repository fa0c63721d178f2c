"""Finding git's index lock for the watched roots (``reloader.watch._vcs``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from reloader.watch._vcs import git_index_locks, git_is_writing


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


def test_the_lock_of_the_repository_above_a_root(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "src").mkdir()
    assert git_index_locks([tmp_path / "src", tmp_path]) == (tmp_path / ".git" / "index.lock",)


def test_a_worktree_has_its_own_lock(tmp_path: Path) -> None:
    repo, tree = tmp_path / "repo", tmp_path / "tree"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(
        repo,
        "-c",
        "user.email=t@t",
        "-c",
        "user.name=t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    git(repo, "worktree", "add", "-q", str(tree))
    (lock,) = git_index_locks([tree])
    assert lock.parent.parent == (repo / ".git" / "worktrees").resolve()
    assert lock.name == "index.lock"


def test_no_repository_no_lock(tmp_path: Path) -> None:
    assert all(not (p / ".git").exists() for p in (tmp_path, *tmp_path.parents))
    assert git_index_locks([tmp_path]) == ()


def test_a_fresh_lock_means_git_is_writing_a_stale_one_does_not(tmp_path: Path) -> None:
    lock = tmp_path / "index.lock"
    assert not git_is_writing([lock])
    lock.write_text("")
    assert git_is_writing([lock])
    os.utime(lock, (0, 0))
    assert not git_is_writing([lock])
