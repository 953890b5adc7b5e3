"""The embedded default on one machine: moto server, database, API (with the bot) and worker."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from moto.server import ThreadedMotoServer

from api.app import create_app
from api.container import Container
from core.aws.clients import AwsClients
from core.aws.local import provision_local_resources
from core.aws.sqs import JobQueue
from core.db.session import upgrade
from core.settings import ApiSettings, WorkerSettings
from processor.bootstrap import build_pipeline
from processor.handler import make_handler
from processor.pipeline import Pipeline
from processor.worker import LocalWorker

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/internal/processing-results"
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class StackOptions:
    database_url: str = "sqlite:///./.receiptsnap/receiptsnap.db"
    api_port: int = 0
    moto_port: int = 0
    telegram_mode: str = "off"  # webhook | polling | off
    telegram_bot_token: str | None = None
    # None: from the environment (TELEGRAM_API_BASE_URL, TELEGRAM_FILE_BASE_URL: a local Bot API
    # server, Telegram's test environment), else Telegram's public servers, as the API reads them.
    telegram_api_base_url: str | None = None
    telegram_file_base_url: str | None = None
    queue_visibility_timeout: int = 30
    worker_wait_seconds: int = 1
    run_worker: bool = True
    # The API in a child process (`receiptsnap api`, its settings in the environment) instead of
    # a thread of this one: its own interpreter and GIL (a load generator here does not slow it
    # down). ``container`` is then None; its output goes to ``api_log`` (default: a temp file).
    api_process: bool = False
    api_log: str | None = None
    # The bot's handling in its own process too (`receiptsnap bot`, TELEGRAM_HANDLER=process:
    # the webhook only stores updates, the bot takes them from the inbox); webhook mode only.
    # Telegram's 30 messages a second are shared: the bot sends 24, the API (cards) 6.
    bot_process: bool = False
    bot_log: str | None = None
    # The worker in a child process too (`receiptsnap worker`), so that a test can kill it.
    worker_process: bool = False
    extra_api: dict[str, Any] = field(default_factory=dict)
    extra_worker: dict[str, Any] = field(default_factory=dict)


def fake_telegram_options(
    token: str, url: str, *, database_url: str, mode: str = "webhook", **extra: Any
) -> StackOptions:
    """Options for a stack whose bot talks to a fake Bot API server at ``url``."""
    return StackOptions(
        database_url=database_url,
        telegram_mode=mode,
        telegram_bot_token=token,
        telegram_api_base_url=f"{url}/bot",
        telegram_file_base_url=f"{url}/file/bot",
        **extra,
    )


def settings_env(values: dict[str, Any]) -> dict[str, str]:
    """Settings keyword arguments as the environment variables pydantic-settings reads (complex
    values as JSON); None is left out."""
    env: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str | int | float):
            text = str(value)
        elif hasattr(value, "get_secret_value"):
            text = str(value.get_secret_value())
        else:
            text = json.dumps(value, default=str)
        env[key.upper()] = text
    return env


class LocalStack:
    """Start with ``start()`` (or ``with``); everything listens on 127.0.0.1 only."""

    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self.moto: ThreadedMotoServer | None = None
        self.server: uvicorn.Server | None = None
        # Children by name ("api", "bot", "worker"): `receiptsnap NAME`, killed and restarted
        # by fault tests (``kill``, ``restart``).
        self.children: dict[str, Child] = {}
        self.worker: LocalWorker | None = None
        self.pipeline: Pipeline | None = None
        self.container: Container | None = None
        self._threads: list[threading.Thread] = []
        self.webhook_secret = secrets.token_urlsafe(24)

    @property
    def api_child(self) -> subprocess.Popen[bytes] | None:
        child = self.children.get("api")
        return child.process if child else None

    @property
    def bot_child(self) -> subprocess.Popen[bytes] | None:
        child = self.children.get("bot")
        return child.process if child else None

    @property
    def api_log(self) -> str | None:
        child = self.children.get("api")
        return child.log if child else None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def app_url(self) -> str:
        """The Mini App on this stack (/app/?dev opens it in a browser as a dev user)."""
        return f"{self.api_url}/app/"

    def start(self) -> LocalStack:
        o = self.options
        moto_port = o.moto_port or free_port()
        self.api_port = o.api_port or free_port()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self.moto.start()
        endpoint = f"http://127.0.0.1:{moto_port}"
        aws: dict[str, Any] = {"aws_endpoint_url": endpoint, "aws_local_credentials": True}

        api_values: dict[str, Any] = {
            **aws,
            "database_url": o.database_url,
            "public_base_url": self.api_url,
            "telegram_mode": o.telegram_mode,
            "telegram_bot_token": o.telegram_bot_token,
            **{
                name: value
                for name, value in (
                    ("telegram_api_base_url", o.telegram_api_base_url),
                    ("telegram_file_base_url", o.telegram_file_base_url),
                )
                if value is not None
            },
            **o.extra_api,
        }
        if o.bot_process:
            api_values |= {"telegram_handler": "process", "telegram_send_rate": 6}
        self.api_settings = ApiSettings(**api_values)
        self.worker_settings = WorkerSettings(
            **aws,
            callback_url=self.api_url + CALLBACK_PATH,
            queue_visibility_timeout=o.queue_visibility_timeout,
            worker_wait_seconds=o.worker_wait_seconds,
            **o.extra_worker,
        )
        s = self.worker_settings
        provision_local_resources(
            AwsClients(s),
            raw_bucket=s.raw_bucket,
            processed_bucket=s.processed_bucket,
            queue_name=s.queue_name,
            dlq_name=s.dlq_name,
            visibility_timeout=s.queue_visibility_timeout,
            max_receive_count=s.queue_max_receive_count,
            secrets={
                s.callback_secret_id: secrets.token_urlsafe(32),
                self.api_settings.telegram_webhook_secret_id: self.webhook_secret,
                self.api_settings.jwt_secret_id: secrets.token_urlsafe(48),
                # Without a bot (no token): a made-up token all the same, never sent to Telegram
                # (TELEGRAM_MODE=off), which the Mini App's initData is signed with (/app/?dev).
                self.api_settings.telegram_bot_token_secret_id: o.telegram_bot_token
                or f"0:dev-{secrets.token_urlsafe(24)}",
            },
        )
        upgrade(o.database_url)

        if o.bot_process:
            bot = Child("bot", ["bot"], {**api_values, "telegram_send_rate": 24}, o.bot_log)
            self.children["bot"] = bot.start(ready=bot.logged(b"bot.started"))
        if o.api_process:
            api = Child(
                "api",
                ["api", "--host", "127.0.0.1", "--port", str(self.api_port)],
                api_values,
                o.api_log,
            )
            # uvicorn runs the lifespan, which starts the bot, before it listens
            self.children["api"] = api.start(ready=api.answers(f"{self.api_url}/healthz"))
        else:
            self.container = Container.build(self.api_settings)
            app = create_app(container=self.container)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.api_port, log_level="warning", lifespan="on"
            )
            self.server = uvicorn.Server(config)
            self._spawn(self.server.run, "receiptsnap-api")
            deadline = time.monotonic() + 30
            while not self.server.started:
                if time.monotonic() > deadline or not self._threads[-1].is_alive():
                    raise RuntimeError("the API did not start; see the log above")
                time.sleep(0.02)

        if o.run_worker and o.worker_process:
            worker_values = {
                **aws,
                "callback_url": self.api_url + CALLBACK_PATH,
                "queue_visibility_timeout": o.queue_visibility_timeout,
                "worker_wait_seconds": o.worker_wait_seconds,
                **o.extra_worker,
            }
            worker = Child("worker", ["worker"], worker_values, None)
            self.children["worker"] = worker.start(ready=worker.logged(b"worker.warmed_up"))
        elif o.run_worker:
            self.pipeline = build_pipeline(self.worker_settings)
            self.worker = LocalWorker(
                queue=JobQueue(AwsClients(s), queue_name=s.queue_name),
                handler=make_handler(self.pipeline),
                warm_up=getattr(self.pipeline.ocr, "warm_up", None),
                region=s.aws_region,
                batch_size=s.worker_batch_size,
                wait_seconds=s.worker_wait_seconds,
            )
            self._threads.append(self.worker.start_thread())
        logger.info("stack.started api=%s aws=%s", self.api_url, endpoint)
        return self

    def kill(self, name: str) -> None:
        """SIGKILL the child ``name`` (a crash); ``restart`` starts it again."""
        self.children[name].kill()

    def restart(self, name: str) -> None:
        self.children[name].start()

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.server is not None:
            self.server.should_exit = True
        for name in ("worker", "bot", "api"):
            if name in self.children:
                self.children[name].stop()
        for thread in self._threads:
            thread.join(timeout=15)
        if self.moto is not None:
            self.moto.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Child:
    """`receiptsnap COMMAND` from this checkout, ``values`` its settings (in the environment),
    its output in ``log`` (default: a temp file, kept across restarts)."""

    name: str
    command: list[str]
    values: dict[str, Any]
    log: str | None = None
    process: subprocess.Popen[bytes] | None = None
    ready: Callable[[], bool] | None = None
    timeout: float = 60.0

    def start(self, ready: Callable[[], bool] | None = None) -> Child:
        """Started, and ready once ``ready`` (kept for restarts) says so."""
        self.ready = ready or self.ready
        if self.log is None:
            handle, self.log = tempfile.mkstemp(prefix=f"receiptsnap-{self.name}-", suffix=".log")
            os.close(handle)
        env = {**os.environ, **settings_env(self.values)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self._offset = Path(self.log).stat().st_size if Path(self.log).exists() else 0
        with open(self.log, "ab") as log_file:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed argv
                [sys.executable, "-m", "receiptsnap.cli", *self.command],
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.timeout
        while self.ready is not None and not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"receiptsnap {self.name} exited at start; see {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"receiptsnap {self.name} not ready in {self.timeout:g} s; see {self.log}"
                )
            time.sleep(0.1)
        return self

    def logged(self, marker: bytes) -> Callable[[], bool]:
        """Ready once this start's output holds ``marker``."""

        def seen() -> bool:
            assert self.log is not None
            with open(self.log, "rb") as f:
                f.seek(self._offset)
                return marker in f.read()

        return seen

    def answers(self, url: str) -> Callable[[], bool]:
        def ok() -> bool:
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        return ok

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        child = self.process
        if child is not None and child.poll() is None:
            child.terminate()  # SIGTERM: a graceful stop
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=5)
