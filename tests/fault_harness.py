"""Real services for the fault tests: an SMTP sink, a Redis of our own, Celery workers and beat
as subprocesses on the test database. Nothing here is a mock: each is a real server or process
the test can stall, stop or kill.

    with SmtpSink() as sink, RedisServer(6402) as redis, CeleryProcess.worker(env) as worker:
        ...
        worker.kill()           # SIGKILL, the whole process group
        sink.count_by_message_id()
"""

from __future__ import annotations

import email
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
CELERY = ROOT / ".venv" / "bin" / "celery"
FAULT_REDIS_PORT = 6402  # RULES.md: helper 2's own Redis; never the shared 6379


def wait_for(condition: Callable[[], object], *, timeout: float = 30.0, every: float = 0.1):
    """Poll until the other process has done its part; a deadline, not a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- SMTP ----------------------------------------------------------------------------------------


class SmtpSink:
    """A small SMTP server on loopback that keeps every message it accepted.

    Modes: `stalled` accepts connections and never answers (a hung mail server); `hold` reads a
    whole message and waits for `release()` before answering 250 (a send in flight);
    `before_accept(message)` runs after the message is read, before the 250 (inject a fault at
    exactly that moment). A message counts only once the 250 is sent, as a real server's would.
    """

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.stalled = False
        self.hold = threading.Event()
        self.hold.set()
        self.held = threading.Event()  # set while a message waits on `hold`
        self.before_accept: Callable[[email.message.Message], None] | None = None
        self._lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 120

            def handle(self) -> None:
                if sink.stalled:
                    while self.rfile.read(1):  # say nothing, ever
                        pass
                    return
                sink._converse(self)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def __enter__(self) -> SmtpSink:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def release(self) -> None:
        self.hold.set()

    def _converse(self, handler: socketserver.StreamRequestHandler) -> None:
        def say(line: str) -> None:
            handler.wfile.write(line.encode() + b"\r\n")
            handler.wfile.flush()

        say("220 sink ESMTP")
        while True:
            line = handler.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250 sink")
            elif verb == "DATA":
                say("354 go ahead")
                data = b""
                while (chunk := handler.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                if not chunk:
                    return  # the sender died mid-message: nothing delivered
                message = email.message_from_bytes(data)
                if self.before_accept:
                    self.before_accept(message)
                if not self.hold.is_set():
                    self.held.set()
                    self.hold.wait()
                    if _peer_gone(handler.connection):
                        return  # the sender died before our 250: nothing delivered
                with self._lock:
                    self.messages.append(message)
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                say("250 ok")

    def count_by_message_id(self) -> Counter:
        with self._lock:
            return Counter(m["Message-ID"] for m in self.messages)


def _peer_gone(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False  # nothing to read, still connected
    except OSError:
        return True
    finally:
        sock.setblocking(True)


# --- Redis ---------------------------------------------------------------------------------------


class RedisServer:
    """A Redis of the test's own, started and stopped at will (never the shared one)."""

    def __init__(self, port: int = FAULT_REDIS_PORT) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(  # noqa: S603  # our own arguments, no shell
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        if not wait_for(self._answers, timeout=10):
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- Celery --------------------------------------------------------------------------------------


def service_environment(**overrides: str) -> dict[str, str]:
    """The environment a worker, beat or web process needs to work on this test's database."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "CELERY_", "DJANGO_ALLOW"))
    }
    env |= {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "privacy_portal.settings",
        "PYTHONUNBUFFERED": "1",
        "CONN_MAX_AGE": "0",
    }
    return env | overrides


class CeleryProcess:
    """A real `celery worker` or `celery beat`, its output in a log file the test can read."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, ready_text: str) -> None:
        self.args, self.env, self.log, self.ready_text = args, env, log, ready_text
        self.process: subprocess.Popen | None = None

    @classmethod
    def worker(cls, env: dict[str, str], log: Path, name: str = "faults") -> CeleryProcess:
        args = ["worker", "-P", "prefork", "-c", "1", "-n", f"{name}@%h", "-l", "info"]
        args += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        return cls(args, env, log, ready_text="ready.")

    @classmethod
    def beat(cls, env: dict[str, str], log: Path) -> CeleryProcess:
        args = ["beat", "-l", "info", "--pidfile", str(log.with_suffix(".pid"))]
        return cls(args, env, log, ready_text="beat: Starting")

    def start(self, *, timeout: float = 60) -> CeleryProcess:
        offset = self.log.stat().st_size if self.log.exists() else 0
        handle = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603  # our own arguments, no shell
            [str(CELERY), "-A", "privacy_portal", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches the pool too
        )
        if not wait_for(lambda: self.ready_text in self.output(offset), timeout=timeout):
            self.stop()
            raise RuntimeError(f"celery {self.args[0]} did not start:\n{self.output(offset)}")
        return self

    def output(self, offset: int = 0) -> str:
        if not self.log.exists():
            return ""
        return self.log.read_bytes()[offset:].decode(errors="replace")

    def pool_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def kill(self) -> None:
        """SIGKILL the worker and its pool: no shutdown, no acknowledgement, nothing cleaned."""
        if self.process is not None:
            pool = self.pool_pids()
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None
            _wait_until_dead(pool)

    def kill_pool_process(self) -> int:
        """SIGKILL the pool process running the task; the worker itself lives on."""
        (pid,) = self.pool_pids()
        os.kill(pid, signal.SIGKILL)
        _wait_until_dead([pid])
        return pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> CeleryProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _dead(pid: int) -> bool:
    """Gone, or a zombie: either way its sockets are closed."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


def _wait_until_dead(pids: list[int]) -> None:
    if not wait_for(lambda: all(_dead(pid) for pid in pids), timeout=10, every=0.02):
        raise RuntimeError(f"processes {pids} survived SIGKILL")


def backend_pid() -> int:
    """The PostgreSQL backend of this thread's connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_pids_of_others(also: list[int] | None = None) -> list[int]:
    """PostgreSQL backends on this test's database other than this thread's connection (and
    those in `also`): the workers', the web server's."""
    spared = [*(also or []), backend_pid()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND NOT (pid = ANY(%s))",
            [spared],
        )
        return [row[0] for row in cursor.fetchall()]


def terminate_backends(pids: list[int]) -> int:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    return len(pids)
