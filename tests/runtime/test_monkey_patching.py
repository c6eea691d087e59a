"""Belvedere refuses to run where gevent or eventlet patched the standard library: gRPC inside
the BigQuery SDK deadlocks there (the peers' charts hang forever)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from belvedere.runtime import monkey_patching, refuse_monkey_patching

SERVE_UNDER_GEVENT = """
from gevent import monkey
monkey.patch_all()
import sys
from belvedere.cli.main import main
sys.argv = ["belvedere", "serve"]
main()
"""


def test_serve_refuses_to_start_under_gevent(tmp_path: Path) -> None:
    env = {**os.environ, "BELVEDERE_DATA_DIR": str(tmp_path), "NO_GCE_CHECK": "true"}
    done = subprocess.run(
        [sys.executable, "-c", SERVE_UNDER_GEVENT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "refuses to start" in done.stderr
    assert "gevent" in done.stderr
    assert "gRPC" in done.stderr
    assert "deadlock" in done.stderr
    assert not (tmp_path / "belvedere.db").exists()  # it stopped before touching anything


def test_doctor_reports_gevent_patching(tmp_path: Path) -> None:
    code = (
        "from gevent import monkey; monkey.patch_all(); import sys; "
        "from belvedere.cli.main import main; sys.argv = ['belvedere', 'doctor']; main()"
    )
    env = {**os.environ, "BELVEDERE_DATA_DIR": str(tmp_path), "NO_GCE_CHECK": "true"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "FAIL  monkey-patching: gevent patched the standard library" in done.stdout
    assert "grpcio" in done.stdout


class _Patcher(types.ModuleType):
    def is_monkey_patched(self, name: str) -> bool:
        return name == "thread"


def test_eventlet_patching_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert monkey_patching() is None
    monkeypatch.setitem(sys.modules, "eventlet.patcher", _Patcher("eventlet.patcher"))
    assert monkey_patching() == "eventlet"
    with pytest.raises(SystemExit, match="eventlet"):
        refuse_monkey_patching()
