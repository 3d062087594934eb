"""Deploys that run: the wheel installed (not editable) into a fresh venv migrates its database
from another directory and runs the service for one pass; the compose file and the systemd unit
pass their tools' own checks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import REPO
from tests.servers import LocalServer, Route, page, rss, wait_for


def _build_wheel(tmp: Path) -> Path:
    """Build the wheel from a copy of the sources (the checkout is left untouched)."""
    src = tmp / "src-copy"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(
        REPO / "src",
        src / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    out = tmp / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = out.glob("monitor-*.whl")
    return wheel


def _venv_with_wheel(tmp: Path, wheel: Path) -> Path:
    """A fresh venv holding only the wheel; its dependencies come from this test's environment
    (a path line, which does not run the editable install's hook, so ``monitor`` must come
    from the wheel)."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    return venv


def test_wheel_in_a_fresh_venv_migrates_from_any_directory_and_runs_one_pass(
    tmp_path: Path,
) -> None:
    venv = _venv_with_wheel(tmp_path, _build_wheel(tmp_path))
    monitor = str(venv / "bin" / "monitor")
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import monitor; print(monitor.__file__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(venv)), f"monitor imported from {where}, not the wheel"

    etc, state, elsewhere = tmp_path / "etc", tmp_path / "state", tmp_path / "elsewhere"
    for d in (etc, state, elsewhere):
        d.mkdir()
    with LocalServer() as srv:
        srv.routes["/feed.xml"] = Route(
            body=rss(
                [
                    {
                        "title": "Talks",
                        "link": srv.url("/a1"),
                        "date": "Fri, 05 Sep 2025 09:00:00 GMT",
                    }
                ]
            ),
            content_type="application/rss+xml",
        )
        srv.routes["/a1"] = Route(
            body=page("Talks", ["Twenty-six countries pledged to deploy troops to Ukraine."] * 3)
        )
        config = etc / "feeds.yaml"
        config.write_text(
            json.dumps(
                {
                    "fetch": {"allow_networks": ["127.0.0.0/8"], "per_host_delay": "0s"},
                    "feeds": [{"name": "wire", "url": srv.url("/feed.xml")}],
                }
            )
        )
        db = state / "monitor.sqlite"
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "MONITOR_CONFIG": str(config),
            "MONITOR_DATABASE_URL": f"sqlite:///{db}",
        }
        check = subprocess.run(
            [monitor, "db", "check"], cwd=elsewhere, env=env, capture_output=True, text=True
        )
        assert check.returncode == 1 and "db upgrade" in check.stdout
        up = subprocess.run(
            [monitor, "db", "upgrade"], cwd=elsewhere, env=env, capture_output=True, text=True
        )
        assert up.returncode == 0, up.stderr
        assert subprocess.run([monitor, "db", "check"], cwd=elsewhere, env=env).returncode == 0

        service = subprocess.Popen(
            [monitor, "--log-format", "json", "run", "--workers", "1"],
            cwd=elsewhere,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            engine = sa.create_engine(f"sqlite:///{db}")
            try:

                def stored() -> bool:
                    with engine.connect() as conn:
                        return bool(
                            conn.execute(sa.text("SELECT count(*) FROM article_versions")).scalar()
                        )

                assert wait_for(stored, timeout=120), "the service stored nothing in 120 s"
            finally:
                engine.dispose()
            time.sleep(0.5)
            service.send_signal(signal.SIGTERM)
            _, err = service.communicate(timeout=90)
        finally:
            if service.poll() is None:
                service.kill()
                service.wait()
    assert service.returncode == 0, err[-2000:]
    assert len(srv.hits("/feed.xml")) == 1 and len(srv.hits("/a1")) == 1
    assert not list(elsewhere.iterdir()), "the service wrote into its working directory"
    assert '"poll pass done"' in err or "poll pass done" in err


def test_compose_file_is_valid_and_names_match_the_env_example(tmp_path: Path) -> None:
    """`docker-compose config` (Debian's docker-compose; no Docker engine is needed) accepts the
    file with the example env file, every service gets its secrets from it, and the API is
    published on loopback with a token."""
    (tmp_path / "deploy").mkdir()
    for f in (REPO / "deploy").iterdir():
        shutil.copy(f, tmp_path / "deploy" / f.name)
    shutil.copy(REPO / "deploy" / "monitor.env.example", tmp_path / "deploy" / "monitor.env")
    shutil.copy(REPO / "feeds.yaml", tmp_path / "feeds.yaml")
    out = subprocess.run(
        [
            "docker-compose",
            "--env-file",
            "deploy/monitor.env",
            "-f",
            "deploy/compose.yaml",
            "config",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        # Nothing from the shell: the env file alone must do.
        env={k: v for k, v in os.environ.items() if k not in ("POSTGRES_PASSWORD", "PGPASSWORD")},
    )
    assert out.returncode == 0, out.stderr
    import yaml

    doc = yaml.safe_load(out.stdout)
    services = doc["services"]
    assert {"db", "worker-1", "worker-2", "api"} <= set(services)
    example = dict(
        line.split("=", 1)
        for line in (REPO / "deploy" / "monitor.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    password = example["POSTGRES_PASSWORD"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == password
    for name in ("worker-1", "worker-2", "api"):
        env = services[name]["environment"]
        assert env["MONITOR_DATABASE_URL"] == f"postgresql://monitor:{password}@db:5432/monitor"
        assert env["MONITOR_API_TOKENS"] == example["MONITOR_API_TOKENS"]
        assert "run" in " ".join(services[name]["command"]) or name == "api"
    assert "127.0.0.1:8080:8080" in str(services["api"]["ports"])
    # Every ${VAR} of feeds.yaml (alert secrets, even commented out) is in the env example.
    import re

    text = (REPO / "feeds.yaml").read_text()
    wanted = set(re.findall(r"\$\{(MONITOR_[A-Z0-9_]*)\}", text))
    assert wanted, "feeds.yaml names no secret"
    assert wanted <= set(example), wanted - set(example)


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = (REPO / "deploy" / "monitor.service").read_text()
    assert "StateDirectory=monitor" in unit and "ReadWritePaths" not in unit
    exe = shutil.which("monitor") or str(Path(sys.executable).with_name("monitor"))
    copy = tmp_path / "monitor.service"
    copy.write_text(unit.replace("/opt/monitor/.venv/bin/monitor", exe))
    out = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
