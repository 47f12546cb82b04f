"""Starting a plan from the web: ``govinspect run start PLAN`` as a detached process, as the CLI would be run.

The request that starts a plan only spawns the command and returns; the run's progress is read from the
database (its results stored site by site), so the page works whoever does the work — this process's child,
or the Celery workers the command queues the sites to when ``GOVINSPECT_BROKER_URL`` is set.

Each launch leaves two files under ``<home>/launches``: ``plan-<id>-<time>-<pid>.json`` (the command, who
started it, its pid and, once it has ended, its exit code) and the command's output beside it (``.log``). A
thread of this process waits for the child, so it never lingers as a zombie that ``os.kill(pid, 0)`` (and so
``prepare_start``) would take for a live process.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from govinspect.config import Settings

_NAME = re.compile(r"^plan-(\d{1,9})-(\d{8}-\d{6})-(\d{1,9})\.json$")
LOG_TAIL_LINES = 8


@dataclass(frozen=True)
class Launch:
    plan_id: int
    pid: int
    host: str
    started_at: str  # ISO 8601, UTC
    command: list[str]
    user: str
    after_run: int  # the plan's newest run id when launched (0: none): a new run has a larger id
    resume_run: int | None = None  # the unfinished run the command continues
    exit_code: int | None = None
    ended_at: str | None = None
    name: str = ""  # the record's file stem

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_at)

    def alive(self) -> bool:
        """Whether the command may still be running (another host's process cannot be asked: assume so)."""
        if self.exit_code is not None:
            return False
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def owns(self, run_id: int) -> bool:
        """Whether ``run_id`` is the run this launch started or continued."""
        return run_id == self.resume_run if self.resume_run is not None else run_id > self.after_run


def command_prefix() -> list[str]:
    """The ``govinspect`` console script of this interpreter's environment, else ``python -m govinspect.cli``."""
    script = Path(sys.executable).with_name("govinspect")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "govinspect.cli"]


def child_environment(settings: Settings) -> dict[str, str]:
    """This server's environment with its data folder and database named explicitly: the command works on the
    same data whatever its working directory; the broker, when configured, makes it queue the sites."""
    env = {k: v for k, v in os.environ.items() if k != "GOVINSPECT_BROKER_URL"}
    env.update(
        GOVINSPECT_HOME=str(settings.home),
        GOVINSPECT_DATABASE_URL=settings.database_url,
        PYTHONUNBUFFERED="1",
        COLUMNS="160",  # rich wraps the log's tables at this width
        NO_COLOR="1",
    )
    if settings.broker_url:
        env["GOVINSPECT_BROKER_URL"] = settings.broker_url
    return env


class Launcher:
    """Spawns ``run start`` commands and keeps their records; one per web process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = settings.home / "launches"
        self._lock = threading.Lock()

    # -- records ------------------------------------------------------------------------------------------------

    def _write(self, launch: Launch) -> None:
        path = self.folder / f"{launch.name}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(launch), ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(path)

    def _read(self, path: Path) -> Launch | None:
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
            return Launch(**{**values, "name": path.stem})
        except (OSError, ValueError, TypeError):
            return None

    def launches(self, plan_id: int) -> list[Launch]:
        """The plan's launches, oldest first."""
        if not self.folder.is_dir():
            return []
        paths = [p for p in self.folder.glob(f"plan-{plan_id}-*.json") if _NAME.match(p.name)]
        found = [self._read(p) for p in sorted(paths, key=lambda p: _NAME.match(p.name)[2])]  # type: ignore[index]
        return [x for x in found if x is not None and x.plan_id == plan_id]

    def latest(self, plan_id: int) -> Launch | None:
        found = self.launches(plan_id)
        return found[-1] if found else None

    def for_run(self, plan_id: int, run_id: int) -> Launch | None:
        """The last launch that started or continued ``run_id``."""
        return next((x for x in reversed(self.launches(plan_id)) if x.owns(run_id)), None)

    def log_tail(self, launch: Launch, lines: int = LOG_TAIL_LINES) -> list[str]:
        path = self.folder / f"{launch.name}.log"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        kept = [line.rstrip() for line in text.splitlines() if line.strip()]
        return kept[-lines:]

    # -- starting -----------------------------------------------------------------------------------------------

    def start(
        self, plan_id: int, arguments: Sequence[str], *, user: str, after_run: int, resume_run: int | None
    ) -> Launch:
        """Spawn ``govinspect run start PLAN <arguments>`` in a session of its own (a signal to the server does
        not reach it), output to the log, and return at once; raises RuntimeError when one is still running."""
        with self._lock:
            running = self.latest(plan_id)
            if running is not None and running.alive():
                raise RuntimeError(f"计划 {plan_id} 的检查已在执行（进程 {running.pid}），请等待其完成")
            self.folder.mkdir(parents=True, exist_ok=True)
            now = datetime.now(UTC)
            command = [*command_prefix(), "run", "start", str(plan_id), *arguments]
            stem = f"plan-{plan_id}-{now:%Y%m%d-%H%M%S}"
            log_path = self.folder / f"{stem}.log"
            with open(log_path, "ab") as log:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.settings.home,
                    env=child_environment(self.settings),
                    start_new_session=True,
                )
            name = f"{stem}-{process.pid}"
            log_path.rename(self.folder / f"{name}.log")  # the child keeps writing to the renamed file
            launch = Launch(
                plan_id,
                process.pid,
                socket.gethostname(),
                now.isoformat(),
                command,
                user,
                after_run,
                resume_run,
                name=name,
            )
            self._write(launch)
        threading.Thread(target=self._wait, args=(process, launch), daemon=True, name=name).start()
        return launch

    def _wait(self, process: subprocess.Popen[bytes], launch: Launch) -> None:
        code = process.wait()
        self._write(replace(launch, exit_code=code, ended_at=datetime.now(UTC).isoformat()))
