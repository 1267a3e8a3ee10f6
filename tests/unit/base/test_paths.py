import json
import os
from pathlib import Path

import pytest

from bosun.base.errors import NotAProject, OperationFailed
from bosun.base.paths import atomic_write_json, find_project, read_json_file


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.json"
    atomic_write_json(target, {"x": 1})
    atomic_write_json(target, {"x": 2})
    assert json.loads(target.read_text()) == {"x": 2}
    assert os.listdir(target.parent) == ["b.json"]


def test_a_corrupt_file_is_moved_aside_and_reported(tmp_path: Path) -> None:
    target = tmp_path / "mirror.json"
    target.write_text("{not json")
    with pytest.raises(OperationFailed) as info:
        read_json_file(target)
    assert "moved it to mirror.json.corrupt-" in info.value.message
    assert not target.exists()
    [aside] = list(tmp_path.glob("mirror.json.corrupt-*"))
    assert aside.read_text() == "{not json"


def test_project_is_found_walking_up_or_from_bosun_home(tmp_path: Path) -> None:
    (tmp_path / ".bosun").mkdir()
    (tmp_path / ".bosun" / "config.toml").write_text("")
    deep = tmp_path / "x" / "y"
    deep.mkdir(parents=True)
    assert find_project(deep, env={}).root == tmp_path
    assert find_project(Path("/"), env={"BOSUN_HOME": str(tmp_path)}).root == tmp_path
    with pytest.raises(NotAProject):
        find_project(Path("/"), env={})
    with pytest.raises(NotAProject):
        find_project(Path("/"), env={"BOSUN_HOME": str(deep)})
