"""The Mini App in a real browser (Debian's chromium, driven by Playwright) on the whole local
stack: opened with a valid initData inside a stand-in of Telegram's WebApp object, a real
receipt uploaded through the presigned POST straight to moto's S3, its card with the right
total, the merchant and the total corrected and the month's total following, deleted; a forged
initData shows "Open this from Telegram" and the API answers 401. Screenshots of each page at a
phone's size go to build/screenshots/mini-app (CI keeps them). Also the bot's side: the menu
button and the "Open" buttons, in private chats only. Users and chats 9201-9299."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from api.routes.webapp import WEBAPP_DIR
from core.clients.init_data import sign
from devstack.stack import REPO, LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, final_card, post_update

pytestmark = pytest.mark.e2e

APP_URL = "https://receipts.example/app/"  # what the bot gives Telegram (the page is local)
SHOTS = Path(os.environ.get("MINI_APP_SCREENSHOTS", REPO / "build" / "screenshots" / "mini-app"))
PHONE = {"width": 390, "height": 844}
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
USER = 9201

# Telegram's WebApp object as the page sees it inside Telegram (its script is not reachable
# here): initData, a theme, and Back/Main buttons that record what the page does with them.
TELEGRAM_STAND_IN = """
(() => {
  const button = (name) => ({
    visible: false, text: "", handlers: [],
    show() { this.visible = true; }, hide() { this.visible = false; },
    setText(t) { this.text = t; }, onClick(f) { this.handlers.push(f); }, offClick() {},
    enable() {}, disable() {}, showProgress() {}, hideProgress() {}, setParams() {},
    click() { this.handlers.forEach((f) => f()); },
  });
  window.Telegram = { WebApp: {
    initData: %s, platform: "test", viewportStableHeight: 844, ...%s,
    events: {}, ready() { this.isReady = true; }, expand() { this.isExpanded = true; },
    onEvent(name, f) { (this.events[name] ||= []).push(f); },
    showConfirm(text, cb) { this.confirmed = text; cb(true); },
    BackButton: button("back"), MainButton: button("main"),
  } };
})();
"""


LIGHT = {
    "colorScheme": "light",
    "themeParams": {
        "bg_color": "#ffffff", "secondary_bg_color": "#eef1f5", "text_color": "#111111",
        "hint_color": "#7d8793", "button_color": "#1f8a5b", "button_text_color": "#ffffff",
        "link_color": "#1f8a5b", "accent_text_color": "#1f8a5b",
    },
}  # fmt: skip
DARK = {  # Telegram's night theme
    "colorScheme": "dark",
    "themeParams": {
        "bg_color": "#17212b", "secondary_bg_color": "#232e3c", "section_bg_color": "#17212b",
        "text_color": "#f5f5f5", "hint_color": "#708499", "button_color": "#5288c1",
        "button_text_color": "#ffffff", "link_color": "#6ab3f3", "accent_text_color": "#6ab2f2",
    },
}  # fmt: skip


def chromium() -> str | None:
    given = os.environ.get("CHROMIUM")
    return given or next((p for p in map(shutil.which, BROWSERS) if p), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium()
    if path is None:
        reason = f"no browser found ({', '.join(BROWSERS)}); `make browser` installs chromium"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def stack(fake: FakeTelegram, database_url: str) -> Iterator[LocalStack]:
    options = fake_telegram_options(
        fake.token,
        fake.url,
        database_url=database_url,
        queue_visibility_timeout=5,
        extra_api={"mini_app_url": APP_URL},
    )
    with LocalStack(options) as s:
        yield s


def init_data(fake: FakeTelegram, user: int, language: str | None = None) -> str:
    """initData as Telegram signs it for the bot (the real check, not the development key)."""
    person: dict[str, Any] = {"id": user, "first_name": "Ana"}
    if language is not None:
        person["language_code"] = language
    fields = {
        "user": json.dumps(person, separators=(",", ":")),
        "auth_date": str(int(time.time())),
        "chat_type": "private",
    }
    return sign(fields, bot_token=fake.token)


def open_page(browser: Any, url: str, *, tma: str | None, theme: dict[str, Any] = LIGHT) -> Any:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, is_mobile=True, locale="en-US", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.route("https://telegram.org/**", lambda route: route.abort())  # no internet here
    if tma is not None:
        page.add_init_script(TELEGRAM_STAND_IN % (json.dumps(tma), json.dumps(theme)))
    page.goto(url)
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def web_app_urls(fake: FakeTelegram, chat: int) -> list[str]:
    """The web_app buttons' URLs of every message sent or edited in ``chat``."""
    urls = []
    for call in fake.calls:
        markup = call.params.get("reply_markup")
        if str(call.params.get("chat_id")) != str(chat) or not markup:
            continue
        rows = (json.loads(markup) if isinstance(markup, str) else markup)["inline_keyboard"]
        urls += [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]
    return urls


def tab(page: Any, name: str) -> None:
    page.locator(f"nav#tabs [data-tab={name}]").click()


def tg(page: Any, expression: str) -> Any:
    return page.evaluate(f"window.Telegram.WebApp.{expression}")


def test_upload_correct_and_delete_in_the_browser(
    browser: Any, stack: LocalStack, fake: FakeTelegram
) -> None:
    post_update(stack, fake.text_update(chat_id=USER, user_id=USER, text="/start"))
    fake.wait_for(lambda f: bool(f.calls_for("sendMessage", USER)), timeout=15)
    tma = init_data(fake, USER)
    page = open_page(browser, f"{stack.api_url}/app/", tma=tma)
    page.get_by_test_id("month-total").wait_for()
    theme = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--tg-theme-button-color')"
    )
    assert theme.strip() == "#1f8a5b"  # Telegram's themeParams as its CSS variables
    assert tg(page, "isReady") and tg(page, "MainButton.visible")
    assert tg(page, "MainButton.text") == "Add a receipt"
    assert not tg(page, "BackButton.visible")

    tab(page, "add")
    page.get_by_test_id("file").set_input_files(str(SAMPLE))
    page.get_by_text("Read ✓").wait_for(timeout=150_000)
    card = page.get_by_test_id("receipt")
    assert card.get_by_test_id("receipt-total").inner_text().replace("\u00a0", " ") == "MYR 9.00"
    shot(page, "add")
    receipt_id = card.get_attribute("data-id")
    assert receipt_id

    # Uploaded straight to S3 (moto), read by the worker; the card also came in the chat, with
    # its "Open" button on this receipt.
    h = {"Authorization": f"tma {tma}"}
    api = stack.api_url
    receipt = httpx.get(f"{api}/api/v1/receipts/{receipt_id}", headers=h, timeout=10).json()
    assert receipt["status"] == "done" and receipt["total"] == "9.00"
    assert httpx.get(receipt["image_url"], timeout=10).content == SAMPLE.read_bytes()
    fake.wait_for(lambda f: final_card(f, USER) is not None, timeout=30)
    assert f"{APP_URL}?receipt={receipt_id}" in web_app_urls(fake, USER)

    month = (receipt["purchase_date"] or receipt["created_at"])[:7]
    page.goto(f"{stack.api_url}/app/?month={month}")
    total = page.get_by_test_id("month-total")
    assert total.inner_text().replace("\u00a0", " ").endswith("9.00")
    shot(page, "month")

    tab(page, "receipts")
    page.get_by_test_id("receipt").first.wait_for()
    # the list draws the worker's thumbnail (the policy lets the processed bucket's origin in)
    thumb = page.locator("img.thumb").first
    assert f"/thumbnails/{receipt_id}.jpg?" in (thumb.get_attribute("src") or "")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    shot(page, "receipts")
    # the status filter: nothing failed; every status again lists it
    page.get_by_test_id("status-filter").select_option("failed")
    page.get_by_text("No receipts found.").wait_for()
    page.get_by_test_id("status-filter").select_option("")
    page.get_by_test_id("receipt").first.wait_for()
    page.get_by_test_id("receipt").first.click()
    page.locator("[data-field=merchant] input").wait_for()
    assert tg(page, "BackButton.visible")
    doubtful = {f for f, c in receipt["confidence"].items() if c < 0.6}
    highlighted = page.eval_on_selector_all(".field.doubt", "els => els.map(e => e.dataset.field)")
    fields = {"merchant", "date", "total", "currency", "category"}
    assert set(highlighted) == doubtful & fields  # fields read with low confidence stand out
    shot(page, "receipt")
    for name, value in (("merchant", "Corner Shop"), ("total", "12.50")):
        field = page.locator(f"[data-field={name}]")
        field.locator("input").fill(value)
        field.locator("input").press("Enter")
        field.get_by_text("Saved").wait_for()
    assert page.get_by_test_id("detail-total").inner_text().replace("\u00a0", " ") == "MYR 12.50"

    tg(page, "BackButton.click()")  # Telegram's back button: to the list
    page.get_by_text("Corner Shop").wait_for()
    tab(page, "month")
    page.get_by_text("MYR 12.50").first.wait_for()  # the month's total followed the correction
    shot(page, "month-corrected")

    tab(page, "export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Receipts (CSV)").click()
    assert download.value.suggested_filename == f"receipts-{month}.csv"
    assert "Corner Shop" in Path(download.value.path()).read_text(encoding="utf-8")
    shot(page, "export")

    tab(page, "receipts")
    page.get_by_text("Corner Shop").click()
    page.get_by_test_id("delete").click()
    assert tg(page, "confirmed") == "Delete this receipt and its file?"
    page.get_by_text("No receipts found.").wait_for()
    gone = httpx.get(f"{api}/api/v1/receipts/{receipt_id}", headers=h, timeout=10)
    assert gone.status_code == 404

    page.context.close()


def test_a_malay_user_reads_the_page_in_malay(
    browser: Any, stack: LocalStack, fake: FakeTelegram
) -> None:
    """Telegram's language_code picks the page's words, as it picks the bot's (ms -> Malay)."""
    page = open_page(browser, f"{stack.api_url}/app/", tma=init_data(fake, 9209, "ms-MY"))
    page.get_by_test_id("month-total").wait_for()
    assert page.evaluate("document.documentElement.lang") == "ms"
    labels = page.eval_on_selector_all("#tabs button", "bs => bs.map(b => b.textContent)")
    assert labels == ["📊Bulan", "🧾Resit", "➕Tambah", "⬇️Eksport"]
    assert page.get_by_text("Belum ada resit bulan ini.").is_visible()
    assert tg(page, "MainButton.text") == "Tambah resit"
    tab(page, "receipts")
    page.get_by_text("Tiada resit dijumpai.").wait_for()
    assert page.get_by_test_id("status-filter").locator("option").first.inner_text() == (
        "Semua status"
    )
    tab(page, "add")
    page.get_by_text("📷 Ambil gambar").wait_for()
    shot(page, "add-malay")
    page.context.close()


def test_the_page_follows_telegrams_dark_theme(
    browser: Any, stack: LocalStack, fake: FakeTelegram
) -> None:
    page = open_page(browser, f"{stack.api_url}/app/", tma=init_data(fake, 9208), theme=DARK)
    page.get_by_test_id("month-total").wait_for()
    assert page.evaluate("document.documentElement.dataset.scheme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(35, 46, 60)"  # secondary_bg_color
    shot(page, "month-dark")
    page.context.close()


def test_forged_init_data_shows_open_from_telegram(
    browser: Any, stack: LocalStack, fake: FakeTelegram
) -> None:
    forged = init_data(fake, 9202).replace("9202", "9203")
    page = open_page(browser, "about:blank", tma=forged)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/me")) as me:
        page.goto(f"{stack.api_url}/app/")
    assert me.value.status == 401
    assert me.value.json()["error"] == "invalid_init_data"
    page.get_by_text("Open this from Telegram").wait_for()
    shot(page, "outside-telegram")
    page.context.close()


def test_outside_telegram_only_dev_opens_it(
    browser: Any, stack: LocalStack, fake: FakeTelegram
) -> None:
    page = open_page(browser, f"{stack.api_url}/app/", tma=None)
    page.get_by_test_id("outside").wait_for()
    page.goto(f"{stack.api_url}/app/?dev&user=9204")  # ENVIRONMENT=development: readable
    page.get_by_test_id("month-total").wait_for()
    me = page.evaluate(
        "fetch('dev/init-data?user=9204').then(r => r.json())"
        ".then(d => fetch('/api/v1/me', {headers: {Authorization: 'tma ' + d.init_data}}))"
        ".then(r => r.json())"
    )
    assert me["telegram_user_id"] == 9204
    page.context.close()

    # `receiptsnap app-link`'s link: the initData in the fragment, as Telegram passes it.
    link = f"{stack.api_url}/app/#tgWebAppData={quote(init_data(fake, 9207), safe='')}"
    page = open_page(browser, link, tma=None)
    page.get_by_test_id("month-total").wait_for()
    page.context.close()


def test_the_bot_opens_the_app_in_private_chats_only(stack: LocalStack, fake: FakeTelegram) -> None:
    button = fake.menu_buttons[""]  # the default menu button, set at start
    assert button["type"] == "web_app" and button["web_app"]["url"] == APP_URL

    def summary_markup(chat: int) -> Any:
        before = len(fake.calls_for("sendMessage", chat))
        post_update(stack, fake.text_update(chat_id=chat, user_id=9205, text="/summary 2026-10"))
        fake.wait_for(lambda f: len(f.calls_for("sendMessage", chat)) > before, timeout=15)
        markup = fake.calls_for("sendMessage", chat)[-1].params.get("reply_markup")
        return json.loads(markup) if isinstance(markup, str) else markup

    private = summary_markup(9205)
    assert private["inline_keyboard"][0][0]["web_app"]["url"] == f"{APP_URL}?month=2026-10"
    assert not summary_markup(-1009206)  # a group: no web_app button (Telegram refuses them)


def test_page_weight_is_small(stack: LocalStack) -> None:
    """The page's own files (HTML, CSS, JS modules) as served; the figure is bench's."""
    names = ["", "app.css"] + [f"js/{p.name}" for p in sorted((WEBAPP_DIR / "js").glob("*.js"))]
    responses = {n: httpx.get(f"{stack.api_url}/app/{n}", timeout=10) for n in names}
    assert {n: r.status_code for n, r in responses.items()} == dict.fromkeys(names, 200)
    sizes = {n: len(r.content) for n, r in responses.items()}
    assert sum(sizes.values()) < 100_000, sizes  # no framework: tens of kilobytes, not hundreds


def test_the_page_may_load_only_its_own_telegrams_and_the_buckets(stack: LocalStack) -> None:
    """Content-Security-Policy on each file: scripts from the page and Telegram only; photos
    and the upload's POST to the raw bucket's origin (here moto's, as boto3 signs it)."""
    moto = stack.worker_settings.aws_endpoint_url
    assert moto
    for name in ("", "js/main.js"):
        policy = httpx.get(f"{stack.api_url}/app/{name}", timeout=10).headers[
            "content-security-policy"
        ]
        rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
        assert rules["script-src"] == "'self' https://telegram.org"
        assert rules["default-src"] == "'none'"
        assert rules["frame-ancestors"] == "https://web.telegram.org"  # no other site frames it
        assert moto in rules["img-src"] and moto in rules["connect-src"]


def test_the_dev_route_exists_in_development_only() -> None:
    """Outside development the dev initData route is not registered: 404, whatever the page
    asks, and nothing is signed (the lifespan is not run: a stand-in container)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from core.clients.init_data import dev_bot_token, validate
    from core.settings import ApiSettings

    class Container:
        def __init__(self, settings: ApiSettings) -> None:
            self.settings = settings

        def bot_token(self) -> str:
            return "123:dev-token"

    def get(environment: str) -> httpx.Response:
        settings = ApiSettings(environment=environment, database_url="postgresql+psycopg2://u@h/d")
        app = create_app(settings)
        app.state.container = Container(settings)
        return TestClient(app).get("/app/dev/init-data", params={"user": "9206"})

    dev = get("development")
    assert dev.status_code == 200
    signed = dev.json()["init_data"]
    user = validate(signed, bot_token=dev_bot_token("123:dev-token"), max_age_seconds=60)
    assert user.telegram_user_id == 9206
    for environment in ("staging", "production"):
        assert get(environment).status_code == 404
