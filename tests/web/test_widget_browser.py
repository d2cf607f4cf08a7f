"""The chat widget in a real browser (Chromium through Playwright), on the demo page `make run`
serves, talking to the running assistant: answers, buttons, the emergency strip and regions,
history across a reload, text never rendered as HTML, deletion, quick exit, an offline queue,
keyboard use, small screens and 200% zoom, and axe-core's accessibility rules.

Nothing leaves the machine: every request that is not to 127.0.0.1 is aborted, and the quick
exit's page is answered locally. Screenshots are written to results/web/ to be looked at.
"""
import json
import re
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import PROJECT, RunningAssistant, free_port

BUILT_PAGE = PROJECT / "build" / "web" / "index.html"
AXE = PROJECT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT / "results" / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
EXIT_URL = "https://www.google.com/"  # the demo page's exitUrl; answered locally below
STORE_KEY = "waypoint-widget"
REGION_KEY = "waypoint-widget-region"
REPLY_TIMEOUT_MS = 30000


def W(name, extra=""):
    return f'[data-waypoint="{name}"]{extra}'


BOT = W("message", '[data-from="bot"]')
USER = W("message", '[data-from="user"]')


@pytest.fixture(scope="module")
def site(running_assistant):
    """The running assistant, with the widget's page built and served."""
    if not BUILT_PAGE.is_file() or not AXE.is_file():
        pytest.fail("The widget is not built: run `make widget` (npm ci --prefix web, then "
                    "web/build.py) before these tests.")
    return running_assistant


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """One person on the demo page: a browser context of their own."""

    def __init__(self, browser, site, **context_options):
        self.site = site
        self.context = browser.new_context(**{"viewport": {"width": 1280, "height": 800},
                                              **context_options})
        self.context.route("**/*", self._guard)
        self.errors = []
        self.dialogs = []
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)
        self.page.on("dialog", self._dialog)

    @staticmethod
    def _guard(route):
        url = route.request.url
        if url.startswith(EXIT_URL):
            route.fulfill(status=200, content_type="text/html",
                          body="<!doctype html><title>Somewhere else</title><p>Elsewhere</p>")
        elif url.startswith("http://127.0.0.1:") and not url.endswith("/favicon.ico"):
            route.continue_()
        else:
            route.abort()

    def _console(self, message):
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, connected=True):
        self.page.goto(self.site.page_url)
        self.page.wait_for_selector(W("widget"))
        if connected:
            self.page.wait_for_selector(W("status", '[data-state="connected"]'), timeout=20000)
        return self

    def bots(self):
        return self.page.locator(BOT).all_inner_texts()

    def wait_for_bots(self, more_than, timeout=REPLY_TIMEOUT_MS):
        self.page.wait_for_function(
            "([selector, n]) => document.querySelectorAll(selector).length > n",
            arg=[BOT, more_than], timeout=timeout)
        self.settle()

    def settle(self, quiet_ms=900):
        """Waits until no bot message has arrived for quiet_ms (a turn can have several)."""
        count = -1
        while count != self.page.locator(BOT).count():
            count = self.page.locator(BOT).count()
            self.page.wait_for_timeout(quiet_ms)

    def say(self, text):
        """Types text and presses Enter; returns the bot messages of the answer."""
        before = self.page.locator(BOT).count()
        self.page.fill(W("input"), text)
        self.page.press(W("input"), "Enter")
        self.wait_for_bots(before)
        return self.bots()[before:]

    def press_choice(self, title):
        before = self.page.locator(BOT).count()
        self.page.click(W("choice", f':text-is("{title}")'))
        self.wait_for_bots(before)
        return self.bots()[before:]

    def stored(self, key=STORE_KEY):
        raw = self.page.evaluate("key => localStorage.getItem(key)", key)
        return json.loads(raw) if raw and key == STORE_KEY else raw

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def close(self):
        self.context.close()
        assert not self.errors, self.errors
        assert not self.dialogs, self.dialogs


@pytest.fixture
def visit(browser, site):
    visits = []

    def make(**context_options):
        visits.append(Visit(browser, site, **context_options))
        return visits[-1]

    yield make
    for one in visits:
        one.close()


def stored_events(site, session_id):
    """The assistant's stored events of one conversation (the run's SQLite tracker store)."""
    with sqlite3.connect(site.log.parent / "conversations.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id",
                          (session_id,)).fetchall()
    return [json.loads(data) for (data,) in rows]


def user_events(site, session_id):
    return [event for event in stored_events(site, session_id) if event.get("event") == "user"]


def inside(box, outer):
    return (box["x"] >= outer["x"] - 0.5 and box["y"] >= outer["y"] - 0.5
            and box["x"] + box["width"] <= outer["x"] + outer["width"] + 0.5
            and box["y"] + box["height"] <= outer["y"] + outer["height"] + 0.5)


# --- conversation ----------------------------------------------------------------------------------

def test_answers_a_question_and_a_button_sends_its_payload(visit, site):
    v = visit().open()
    page = v.page
    assert page.get_attribute(W("log"), "role") == "log"
    assert page.get_attribute(W("log"), "aria-live") == "polite"

    greeting = v.say("hi")
    assert "automated educational tool" in greeting[0]
    choices = page.locator(W("choice")).all_inner_texts()
    assert "Medications" in choices
    assert page.locator(W("choice")).first.evaluate("b => b.tagName + ':' + b.type") == "BUTTON:button"

    answer = v.press_choice("Medications")
    assert page.locator(USER).last.inner_text() == "Medications"
    assert any("three medications" in text for text in answer), answer
    assert "Medications" not in page.locator(W("choice")).all_inner_texts()  # the set is gone

    answer = v.say("what is methadone")
    assert any("Methadone" in text for text in answer), answer
    v.screenshot("desktop-1280x800-answers")

    # The server got the payload; the transcript shows the title. The page's region set the
    # conversation's with the first message (later ones leave it, so a place the person names
    # is not undone; channels/socketio.py).
    session = v.stored()["session"]
    sent = user_events(site, session)
    assert [event["text"] for event in sent] == ["hi", "/ask_medications", "what is methadone"]
    assert sent[0]["metadata"].get("region") == "US"


def test_overdose_reply_starts_with_the_emergency_line_in_view(visit):
    v = visit().open()
    page = v.page
    assert page.inner_text(W("emergency")) == "Emergency? Call 911 · Call or text 988"
    assert page.eval_on_selector_all(W("emergency") + " a", "links => links.map(a => a.href)") == [
        "tel:911", "tel:988"]

    reply = v.say("my friend is not breathing")
    assert reply[0].startswith("Call 911 now"), reply[0]
    # However long the reply, its first line is what the log shows.
    first = page.locator(BOT).nth(-len(reply)).bounding_box()
    log = page.locator(W("log")).bounding_box()
    assert log["y"] <= first["y"] + 1 and first["y"] + 30 <= log["y"] + log["height"]
    v.screenshot("desktop-1280x800-overdose")


def test_region_changes_strip_and_replies_and_is_remembered(visit, site):
    v = visit().open()
    page = v.page
    page.select_option(W("region"), "UK")
    strip = page.inner_text(W("emergency"))
    assert strip.startswith("Emergency? Call 999 · ") and "116 123" in strip
    assert "911" not in strip
    assert page.locator(f'{W("region")} >> xpath=..').locator("label").inner_text() == "Region"

    reply = v.say("my friend is not breathing")
    assert reply[0].startswith("Call 999 now"), reply[0]
    assert user_events(site, v.stored()["session"])[-1]["metadata"]["region"] == "UK"

    page.reload()
    page.wait_for_selector(W("status", '[data-state="connected"]'))
    assert page.input_value(W("region")) == "UK"
    assert page.inner_text(W("emergency")).startswith("Emergency? Call 999")


def test_conversation_survives_a_reload(visit):
    v = visit().open()
    page = v.page
    v.say("hello")
    v.say("what is methadone")
    before = page.locator(W("message")).all_inner_texts()
    session = v.stored()["session"]

    page.reload()
    page.wait_for_selector(W("status", '[data-state="connected"]'))
    assert page.locator(W("message")).all_inner_texts() == before
    assert v.stored()["session"] == session
    # The server continues the same conversation: it greets a returning user.
    assert v.say("hello")[0].startswith("Hi again")
    v.screenshot("desktop-1280x800-after-reload")


def test_markup_is_shown_as_text_and_only_http_links_are_made(visit):
    v = visit().open()
    page = v.page
    attack = "<img src=x onerror=alert(1)>"
    v.say(attack)
    assert page.locator(USER).last.inner_text() == attack
    assert page.locator(f'{W("widget")} img').count() == 0

    # A transcript with hostile bot text, restored from storage, goes through the same renderer.
    hostile = ("<b>bold</b> javascript:alert(1) see findtreatment.gov, "
               "https://988lifeline.org/chat?x=1. mail help@samhsa.gov or data:text/html,x\nline 2")
    page.evaluate("""([key, text]) => localStorage.setItem(key, JSON.stringify({
        v: 1, session: "0123456789abcdef0123456789abcdef", open: true,
        messages: [{id: "a", from: "user", text: "q"}, {id: "a:0", from: "bot", text: text}]}))""",
                  [STORE_KEY, hostile])
    page.reload()
    page.wait_for_selector(BOT)
    bubble = page.locator(BOT).last
    assert bubble.locator("b").count() == 0
    assert bubble.inner_text() == hostile
    links = bubble.locator("a")
    assert links.evaluate_all("as => as.map(a => [a.textContent, a.href, a.target, a.rel])") == [
        ["findtreatment.gov", "https://findtreatment.gov/", "_blank", "noopener noreferrer"],
        ["https://988lifeline.org/chat?x=1", "https://988lifeline.org/chat?x=1", "_blank",
         "noopener noreferrer"],
    ]
    assert bubble.evaluate("b => getComputedStyle(b).whiteSpace") == "pre-line"
    assert bubble.evaluate("b => b.getClientRects().length && b.offsetHeight") > 30  # two lines
    assert not v.dialogs


# --- deletion and quick exit -----------------------------------------------------------------------

def test_delete_asks_then_erases_on_the_server_and_in_the_browser(visit, site):
    v = visit().open()
    page = v.page
    v.say("hello")
    v.say("what is methadone")
    session = v.stored()["session"]
    assert user_events(site, session)

    page.click(W("delete"))
    assert page.is_visible(W("delete-confirm")) and page.is_visible(W("delete-cancel"))
    v.screenshot("desktop-1280x800-delete-confirm")
    page.click(W("delete-cancel"))
    assert not page.is_visible(W("delete-confirm"))
    assert page.locator(W("message")).count() == 4

    page.click(W("delete"))
    page.click(W("delete-confirm"))
    page.wait_for_selector(W("notice", ':has-text("deleted from Waypoint")'), timeout=REPLY_TIMEOUT_MS)
    assert page.locator(W("message")).count() == 0
    assert v.stored() is None
    deadline = time.monotonic() + 10
    while stored_events(site, session) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert stored_events(site, session) == []

    # A new conversation with a new id: the assistant does not know this person.
    assert v.say("hello")[0].startswith("Hi, I'm Waypoint")
    second = v.stored()["session"]
    assert second != session

    # Asking in the chat itself, and saying yes with its button, also clears the browser's copy.
    v.say("delete my conversation")
    page.click(W("choice", ':text-is("Yes, delete it")'))
    page.wait_for_function("s => !document.querySelector(s)", arg=W("message"),
                           timeout=REPLY_TIMEOUT_MS)
    assert "deleted from Waypoint" in page.locator(W("notice")).last.inner_text()
    assert v.stored() is None


def test_quick_exit_button_clears_and_leaves(visit):
    v = visit().open()
    page = v.page
    page.select_option(W("region"), "CA")
    v.say("what is methadone")
    assert v.stored() and v.stored(REGION_KEY)

    page.click(W("exit"))
    page.wait_for_url(EXIT_URL)
    page.goto(v.site.page_url)
    page.wait_for_selector(W("widget"))
    assert v.stored() is None and v.stored(REGION_KEY) is None
    assert page.locator(W("message")).count() == 0
    assert page.inner_text(W("emergency")).startswith("Emergency? Call 911")


def test_escape_three_times_is_a_quick_exit(visit):
    v = visit().open()
    page = v.page
    v.say("hello")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_timeout(2300)  # too slow: the count starts again
    page.keyboard.press("Escape")
    assert page.url == v.site.page_url
    history = page.evaluate("history.length")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(EXIT_URL)
    # location.replace: the chat page is replaced in the history, not added to.
    assert page.evaluate("history.length") == history
    page.goto(v.site.page_url)
    page.wait_for_selector(W("widget"))
    assert v.stored() is None


# --- connection ------------------------------------------------------------------------------------

def configure(page, **overrides):
    """Changes the page's WaypointConfig as it is set, the way a site owner's page would differ."""
    page.add_init_script("""(overrides => { let config;
        Object.defineProperty(window, "WaypointConfig", {configurable: true, get: () => config,
            set: value => { config = Object.assign(value, overrides); }}); })(%s)"""
                         % json.dumps(overrides))


def test_server_down_keeps_the_strip_and_queues_messages(visit, site):
    v = visit()
    page = v.page
    configure(page, server=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    v.open(connected=False)
    page.wait_for_selector(W("status", '[data-state="offline"]'), timeout=20000)
    assert page.is_visible(W("emergency"))
    assert page.inner_text(W("emergency")) == "Emergency? Call 911 · Call or text 988"

    page.fill(W("input"), "what is methadone")
    page.click(W("send"))
    assert page.locator(USER).last.inner_text() == "what is methadone"
    notice = page.locator(W("notice")).last
    assert "Not sent yet" in notice.inner_text() and "call 911 now" in notice.inner_text()
    assert notice.locator("a").get_attribute("href") == "tel:911"
    assert v.stored()["messages"][-1]["pending"] is True
    v.screenshot("desktop-1280x800-offline")

    # Collapsed, the strip and the quick exit are still there.
    page.click(W("toggle"))
    assert not page.is_visible(W("log"))
    assert page.is_visible(W("emergency")) and page.is_visible(W("exit"))
    page.click(W("toggle"))

    # The server is reachable again (the page as served): the queued message is sent, answered.
    page.close()
    v.page = page = v.context.new_page()
    v.open()
    v.wait_for_bots(0)
    assert any("Methadone" in text for text in v.bots())
    assert "pending" not in v.stored()["messages"][0]
    assert [e["text"] for e in user_events(site, v.stored()["session"])] == ["what is methadone"]


def test_collapsed_widget_connects_only_when_opened(visit):
    v = visit()
    page = v.page
    configure(page, open=False, storage="session")
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    v.open(connected=False)
    page.wait_for_timeout(1500)
    assert page.get_attribute(W("widget"), "data-open") == "false"
    assert page.is_visible(W("emergency")) and page.is_visible(W("exit"))
    assert not page.is_visible(W("input"))
    assert not [url for url in requests if "/socket.io/" in url]
    page.click(W("toggle"))
    page.wait_for_selector(W("status", '[data-state="connected"]'))
    assert page.evaluate("document.activeElement.getAttribute('data-waypoint')") == "input"

    # The typing indicator shows while the answer is on its way, and goes when it arrives.
    page.evaluate("""() => { const typing = document.querySelector('[data-waypoint=typing]');
        window.typingShown = false;
        new MutationObserver(() => { if (!typing.hidden) window.typingShown = true; })
            .observe(typing, {attributes: true}); }""")
    v.say("what is methadone")
    assert page.evaluate("window.typingShown") is True
    assert page.is_hidden(W("typing"))
    # storage: "session" keeps the conversation out of localStorage.
    assert v.stored() is None
    assert page.evaluate("k => !!sessionStorage.getItem(k)", STORE_KEY)


def test_going_offline_and_back_sends_what_was_typed(visit, site):
    v = visit().open()
    page = v.page
    v.context.set_offline(True)
    page.wait_for_selector(W("status", '[data-state="offline"]'))
    page.fill(W("input"), "what is buprenorphine")
    page.press(W("input"), "Enter")
    assert "Not sent yet" in page.locator(W("notice")).last.inner_text()
    before = page.locator(BOT).count()
    v.context.set_offline(False)
    page.wait_for_selector(W("status", '[data-state="connected"]'), timeout=20000)
    v.wait_for_bots(before)
    assert any("uprenorphine" in text for text in v.bots()[before:])
    assert page.locator(W("notice", ':has-text("Not sent yet")')).count() == 0

    # Offline, a deletion cannot reach the server: it says so and removes nothing.
    v.context.set_offline(True)
    page.wait_for_selector(W("status", '[data-state="offline"]'))
    count = page.locator(W("message")).count()
    page.click(W("delete"))
    page.click(W("delete-confirm"))
    assert "nothing was deleted" in page.inner_text(".wp-confirm")
    assert page.locator(W("message")).count() == count and v.stored()
    v.context.set_offline(False)
    page.wait_for_selector(W("status", '[data-state="connected"]'), timeout=20000)


def test_a_dropped_connection_reconnects_by_itself(visit):
    v = visit()
    page = v.page
    sockets = []

    def relay(websocket):  # the page's WebSocket, passed through to the server
        websocket.connect_to_server()
        sockets.append(websocket)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), relay)
    states = []
    page.expose_function("reportState", lambda state: states.append(state))
    page.add_init_script("""new MutationObserver(changes => changes.forEach(change => {
        if (change.target.getAttribute('data-waypoint') === 'status')
            window.reportState(change.target.getAttribute('data-state')); }))
        .observe(document, {subtree: true, attributes: true, attributeFilter: ['data-state']});""")
    v.open()
    v.say("hello")
    assert sockets, "socket.io did not upgrade to a WebSocket"
    sockets[-1].close(code=1011, reason="dropped by the test")
    page.wait_for_function("s => document.querySelector(s)", arg=W("status", ':not([data-state="connected"])'), polling=50)
    page.wait_for_selector(W("status", '[data-state="connected"]'), timeout=20000)
    assert states[-2:] == ["reconnecting", "connected"], states
    assert any("Methadone" in text for text in v.say("what is methadone"))


def test_the_widget_reconnects_when_the_server_restarts_and_the_conversation_goes_on(
        browser, tmp_path):
    """The assistant's processes really stop and start again on the same ports and store."""
    first = RunningAssistant(tmp_path)
    v = Visit(browser, first)
    try:
        v.open()
        v.say("hello")
        first.stop()
        v.page.wait_for_selector(W("status", ':not([data-state="connected"])'), timeout=20000)
        assert v.page.is_visible(W("emergency"))
        second = RunningAssistant(tmp_path, ports=first.ports)
        try:
            v.page.wait_for_selector(W("status", '[data-state="connected"]'), timeout=60000)
            # The same conversation, from the store: a second hello is greeted as a return.
            assert v.say("hello")[0].startswith("Hi again")
        finally:
            second.stop()
    finally:
        v.close()
        first.stop()


def test_no_answer_is_said_not_hidden(visit):
    v = visit()
    page = v.page
    upgraded = []

    def lose_messages(websocket):  # the server never gets what the person writes
        server = websocket.connect_to_server()
        websocket.on_message(lambda message: None if '"user_uttered"' in str(message)
                             else server.send(message))
        upgraded.append(websocket)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), lose_messages)
    v.open()
    deadline = time.monotonic() + 10
    while not upgraded and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert upgraded, "socket.io did not upgrade to a WebSocket"
    page.wait_for_timeout(500)
    page.fill(W("input"), "is anyone there")
    page.press(W("input"), "Enter")
    assert page.is_visible(W("typing"))
    notice = page.wait_for_selector(W("notice", ':has-text("No answer yet")'), timeout=40000)
    assert page.is_hidden(W("typing"))
    assert "call 911 now" in notice.inner_text()


# --- accessibility, keyboard, small screens ------------------------------------------------------

def axe_violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(rule["id"], rule["impact"], [node["target"] for node in rule["nodes"]][:3])
            for rule in result["violations"] if rule["impact"] in ("serious", "critical")]


def test_axe_finds_no_serious_or_critical_violations(visit):
    v = visit().open()
    page = v.page
    assert axe_violations(page) == []
    v.say("hi")  # answers with buttons
    page.select_option(W("region"), "UK")
    page.click(W("delete"))  # the confirmation open
    assert axe_violations(page) == []
    page.click(W("delete-cancel"))
    page.click(W("toggle"))  # collapsed
    assert axe_violations(page) == []


def test_keyboard_only(visit):
    v = visit().open()
    page = v.page
    v.say("hi")
    page.click("h1")  # start from the page's text, before the widget
    order = []
    for _ in range(16):
        page.keyboard.press("Tab")
        order.append(page.evaluate("""() => { const e = document.activeElement;
            return e.getAttribute('data-waypoint') || e.getAttribute('href') || e.tagName; }"""))
    assert order[:8] == ["toggle", "exit", "tel:911", "tel:988", "region", "log", "choice", "choice"]
    assert order.index("input") < order.index("send") < order.index("delete")

    # Every control is labelled.
    names = page.evaluate("""() => [...document.querySelectorAll(
        '[data-waypoint=widget] button, [data-waypoint=widget] select, [data-waypoint=widget] textarea')]
        .map(e => (e.labels && e.labels.length ? e.labels[0].textContent : '')
                  || e.getAttribute('aria-label') || e.textContent).map(s => s.trim())""")
    assert all(names), names

    # Focus is visible.
    page.focus(W("input"))
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.eval_on_selector(W("input"), "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
    assert outline == "solid 3px"

    # A button by keyboard: Tab to it, Enter.
    page.focus(W("choice", ':text-is("Withdrawal")'))
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")
    v.wait_for_bots(before)
    assert page.locator(USER).last.inner_text() == "Withdrawal"

    # Typing and Enter sends.
    page.focus(W("input"))
    before = page.locator(BOT).count()
    page.keyboard.type("what is naloxone")
    page.keyboard.press("Enter")
    v.wait_for_bots(before)
    assert page.locator(USER).last.inner_text() == "what is naloxone"

    # The launcher by keyboard.
    page.focus(W("toggle"))
    page.keyboard.press("Enter")
    assert page.get_attribute(W("toggle"), "aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('data-waypoint')") == "input"


@pytest.mark.parametrize("name, options", [
    ("mobile-360x740", {"viewport": {"width": 360, "height": 740}}),
    # Browser zoom at 200% on a 1280x800 window lays the page out in 640x400 CSS pixels.
    ("zoom200-1280x800", {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}),
])
def test_small_screens_and_zoom_fit_without_horizontal_scrolling(visit, name, options):
    v = visit(**options).open()
    page = v.page
    viewport = {"x": 0, "y": 0, **options["viewport"]}

    def check(state):
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), state
        assert page.eval_on_selector(W("log"), "l => l.scrollWidth <= l.clientWidth"), state
        root = page.locator(W("widget")).bounding_box()
        assert inside(root, viewport), (state, root)
        for hook in ("emergency", "exit", "toggle", "region", "input", "send", "delete"):
            element = page.locator(W(hook))
            if element.is_visible():
                assert inside(element.bounding_box(), root), (state, hook)
        assert page.is_visible(W("emergency")) and page.is_visible(W("exit"))

    check("empty")
    v.say("hi")
    v.say("my friend is not breathing")
    check("conversation")
    v.screenshot(f"{name}-overdose")
    page.select_option(W("region"), "UK")
    page.click(W("delete"))
    check("delete confirmation")
    page.click(W("delete-cancel"))
    page.click(W("toggle"))
    check("collapsed")
    v.screenshot(f"{name}-collapsed")
