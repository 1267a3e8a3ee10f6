"""The tmux launcher's spec file holds the agent's environment: it is deleted once read,
and also when it cannot be read (a half-written one may still hold secrets)."""

from __future__ import annotations

from pathlib import Path

from bosun.runtime.launch import EXIT_CANNOT_RUN, main


def test_a_half_written_spec_is_refused_in_one_line_and_deleted(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.json"
    spec.write_text('{"argv": ["true"], "cwd": "/", "env": {"TOKEN": "s3cr')
    assert main([str(spec)]) == EXIT_CANNOT_RUN
    err = capsys.readouterr().err
    assert err.startswith(f"bosun launch: cannot read {spec}") and err.count("\n") == 1
    assert not spec.exists()
