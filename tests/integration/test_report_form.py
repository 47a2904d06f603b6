"""The report form end to end: a real browser, the outbox, the relay, the broker and the processor.

The form runs under uvicorn in this process (a thread), the relay and the processor as child processes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from schemas import agreements_from_geojson
from services.report_form.app import create_app
from tests.conftest import settings_for
from tests.support import AGREEMENT_A, AppServer, Rect, WorkerProcess, wait_for
from trygg.adapters.database import connect, upsert_agreements
from trygg.adapters.intake import issue_link, revoke_links
from trygg.adapters.kafka import create_topics
from trygg.localstack.intake import start_relay
from trygg.localstack.processes import Broker, free_port
from trygg.settings import Settings
from trygg.texts import say

AREA_B = Rect("test-teg", 20.25, 63.82, 20.26, 63.83)  # another agreement, apart from A


def intake_world() -> list:
    """Agreement A with shops A and B (a site each); agreement B where shop A also has a site."""
    def agreement(rect: Rect, partners: list[str]) -> dict:
        return {"type": "Feature", "geometry": rect.polygon(), "properties": {
            "kind": "agreement", "agreement_id": rect.area_id, "name": f"Område {rect.area_id}",
            "municipality": "Umeå", "signed_at": "2024-05-01",
            "partners": [{"id": p, "name": p.upper(), "role": "shop"} for p in partners]}}

    def site(site_id: str, rect: Rect, partner: str) -> dict:
        lon, lat = (rect.min_lon + rect.max_lon) / 2, (rect.min_lat + rect.max_lat) / 2
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {
            "kind": "site", "agreement_id": rect.area_id, "site_id": site_id, "partner_id": partner,
            "name": f"Butik {site_id}"}}

    return agreements_from_geojson({"type": "FeatureCollection", "features": [
        agreement(AGREEMENT_A, ["shop-a", "shop-b"]), agreement(AREA_B, ["shop-a"]),
        site("site-a", AGREEMENT_A, "shop-a"), site("site-b", AGREEMENT_A, "shop-b"),
        site("site-a-teg", AREA_B, "shop-a"),
    ]})


@dataclass
class Intake:
    settings: Settings
    base: str
    token_a: str
    token_b: str

    def url(self, token: str) -> str:
        return f"{self.base}/r/{token}"


def FormServer(settings: Settings) -> AppServer:  # noqa: N802 - reads as the server it starts
    """The form app under uvicorn in a background thread."""
    return AppServer(create_app(settings), settings.form_port)


def open_intake(bootstrap: str, database_url: str, **overrides: object) -> Intake:
    port = free_port()
    settings = settings_for(bootstrap, database_url, form_port=port, form_base_url=f"http://127.0.0.1:{port}",
                            **overrides)
    with connect(database_url) as conn:
        upsert_agreements(conn, intake_world())
        token_a = issue_link(conn, AGREEMENT_A.area_id, "shop-a", [])
        token_b = issue_link(conn, AGREEMENT_A.area_id, "shop-b", [])
    return Intake(settings, f"http://127.0.0.1:{port}", token_a, token_b)


@pytest.fixture
def intake(broker: Broker, database: str) -> Iterator[Intake]:
    opened = open_intake(broker.bootstrap, database)
    create_topics(opened.settings)
    with FormServer(opened.settings):
        yield opened


def form_fields(page: str) -> dict[str, str]:
    return {name: re.search(rf'name="{name}" value="([^"]*)"', page)[1] for name in ("nonce", "csrf")}  # type: ignore[index]


def post_report(client: httpx.Client, url: str, **fields: str) -> httpx.Response:
    """Open the form, fill it as a user would (site preselected, time now) and send it."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    data = {**form_fields(page.text), "category": "shoplifting", **{
        k: re.search(rf'id="{k}" name="{k}" value="([^"]*)"', page.text)[1] for k in ("date", "time")  # type: ignore[index]
    }, "where": re.search(r'name="where" id="where-[^"]+" value="([^"]+)"\s*checked', page.text)[1]}  # type: ignore[index]
    data.update(fields)
    return client.post(url, data=data)


def outbox_size(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]


def counted(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT coalesce(sum(incidents), 0) FROM incident_counts WHERE area_id = %s", (AGREEMENT_A.area_id,)
        ).fetchone()[0]


def test_a_token_cannot_report_for_another_partners_site_or_another_agreement(intake: Intake) -> None:
    with httpx.Client(follow_redirects=True) as client:
        for foreign_site in ("site-b", "site-a-teg"):
            answer = post_report(client, intake.url(intake.token_a), where=foreign_site)
            assert answer.status_code == 403
            assert "Du kan inte rapportera för den platsen" in answer.text and "ingenting har sparats" in answer.text
        outside = post_report(client, intake.url(intake.token_a), where="pin", lat="63.825", lon="20.255")
        assert outside.status_code == 422 and "utanför överenskommelsens område" in outside.text
    assert outbox_size(intake.settings.database_url) == 0


def test_the_same_form_sent_twice_is_one_event_with_one_receipt(intake: Intake) -> None:
    with httpx.Client(follow_redirects=True) as client:
        page = client.get(intake.url(intake.token_a))
        data = {**form_fields(page.text), "category": "vandalism", "date": "2024-05-01", "time": "14:30",
                "where": "site-a", "note": "Ring 070-123 45 67 eller mejla a.b@example.se, pnr 19121212-1212"}
        first = client.post(intake.url(intake.token_a), data=data)
        again = client.post(intake.url(intake.token_a), data=data)
    assert first.status_code == again.status_code == 200
    assert first.url == again.url
    reference = re.search(r'id="reference">([A-Z2-7]{4}-[A-Z2-7]{4})<', first.text)[1]  # type: ignore[index]
    assert reference in again.text
    with psycopg.connect(intake.settings.database_url) as conn:
        rows = conn.execute("SELECT convert_from(payload, 'UTF8')::jsonb FROM outbox").fetchall()
    assert len(rows) == 1
    assert rows[0][0]["note"] == "Ring [borttaget] eller mejla [borttaget], pnr [borttaget]"
    assert rows[0][0]["location"]["site_id"] == "site-a" and rows[0][0]["source"] == "shop"


def test_protections_size_rate_csrf_and_headers(intake: Intake) -> None:
    url = intake.url(intake.token_a)
    with httpx.Client(follow_redirects=True) as client:
        page = client.get(url)
        for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
            assert header in page.headers
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        forged = client.post(url, data={**form_fields(page.text), "csrf": "1.deadbeef", "category": "theft"})
        assert forged.status_code == 400 and "Formuläret har gått ut" in forged.text
        huge = client.post(url, data={**form_fields(page.text), "note": "x" * 20000})
        assert huge.status_code == 413
        english = client.get(url + "?lang=en")
        assert '<html lang="en">' in english.text and "Report an incident" in english.text
        answers = [post_report(client, url, category="").status_code for _ in range(intake.settings.form_rate_per_token)]
        assert 429 not in answers[:25]
        limited = client.post(url, data=form_fields(page.text))
        assert limited.status_code == 429 and "Wait a minute" in limited.text  # the English choice is remembered
        assert limited.headers["Retry-After"] == "60"
        unknown = client.get(intake.url("no-such-token"))
        assert unknown.status_code == 404 and "This link does not work" in unknown.text
    assert outbox_size(intake.settings.database_url) == 0


@pytest.fixture
def relay(intake: Intake, tmp_path: Path) -> Iterator[None]:
    process = start_relay(intake.settings, tmp_path / "relay.log")
    yield
    process.terminate()
    process.wait(15)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=412,915",  # a phone's viewport
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def loads_page(browser, action: Callable[[], object]) -> None:
    """Do what submits a form or follows a link, and wait until the new page has loaded: on a loaded machine a
    lookup right after the click can still find the old page's element, and asking a page that is being
    unloaded about its elements can fail in chromedriver itself ("unhandled inspector error")."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element(By.TAG_NAME, "html").id
    action()

    def new_page_loaded(driver) -> bool:
        return (driver.find_element(By.TAG_NAME, "html").id != old
                and driver.execute_script("return document.readyState") == "complete")

    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(new_page_loaded)


@pytest.fixture
def form_worker(intake: Intake, relay: None, tmp_path: Path) -> Iterator[WorkerProcess]:
    """The processor behind the form and the relay."""
    worker = WorkerProcess(intake.settings, tmp_path / "worker.log").start()
    yield worker
    worker.stop()


def test_in_a_browser_reports_in_swedish_and_english_are_counted_errors_shown_and_revoked_link_refused(
    intake: Intake, form_worker: WorkerProcess, browser
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    find = browser.find_element
    browser.get(intake.url(intake.token_a))
    assert find(By.TAG_NAME, "html").get_attribute("lang") == "sv"
    assert find(By.CSS_SELECTOR, "#where-site-a").is_selected()  # their own site is preselected
    find(By.CSS_SELECTOR, "label[for=category-shoplifting]").click()
    find(By.ID, "note").send_keys("Två personer, ring mig på 070-123 45 67")
    loads_page(browser, lambda: find(By.ID, "report-submit").click())
    assert find(By.TAG_NAME, "h1").text == "Tack! Rapporten är mottagen"
    swedish_reference = find(By.ID, "reference").text
    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}", swedish_reference)

    loads_page(browser, lambda: find(By.ID, "report-another").click())
    loads_page(browser, lambda: find(By.LINK_TEXT, "In English").click())
    assert find(By.TAG_NAME, "html").get_attribute("lang") == "en"
    radio = find(By.ID, "category-graffiti")  # by keyboard only: space selects, enter submits
    radio.send_keys(Keys.SPACE)
    find(By.ID, "loss").send_keys("450")
    loads_page(browser, lambda: find(By.ID, "loss").send_keys(Keys.ENTER))
    assert find(By.TAG_NAME, "h1").text == "Thank you! The report has been received"
    assert find(By.ID, "reference").text != swedish_reference

    loads_page(browser, lambda: find(By.ID, "report-another").click())
    loads_page(browser, lambda: find(By.LINK_TEXT, "På svenska").click())
    browser.execute_script("document.getElementById('date').value = '2099-01-01'")  # as if typed
    loads_page(browser, lambda: find(By.ID, "report-submit").click())
    category_error = find(By.CSS_SELECTOR, "#category-group #category-error")
    assert category_error.text == "Välj vad som hände."
    assert find(By.CSS_SELECTOR, "#when-group #when-error").text == "Tiden ligger i framtiden. Ange när det hände."
    assert find(By.ID, "date").get_attribute("aria-invalid") == "true"
    assert "Välj vad som hände." in find(By.ID, "error-summary").text

    wait_for(lambda: counted(intake.settings.database_url) == 2, 60, "both reports to be counted")
    with psycopg.connect(intake.settings.database_url) as conn:
        assert dict(conn.execute(
            "SELECT category, sum(incidents) FROM incident_counts WHERE area_id = %s GROUP BY category",
            (AGREEMENT_A.area_id,),
        ).fetchall()) == {"shoplifting": 1, "graffiti": 1}
        notes = [n for (n,) in conn.execute("SELECT note FROM incident_notes")]
    assert notes == ["Två personer, ring mig på [borttaget]"]

    with connect(intake.settings.database_url) as conn:
        assert revoke_links(conn, token_prefix=intake.token_a[:6]) == 1
    browser.get(intake.url(intake.token_a))
    assert find(By.TAG_NAME, "h1").text == "Länken är inte längre giltig"
    assert "Be samordnaren" in find(By.ID, "explanation").text
    form_worker.assert_alive()


def pulse_taps(database_url: str) -> dict[tuple[str, int], int]:
    with psycopg.connect(database_url) as conn:
        return {(site, answer): n for site, answer, n in conn.execute(
            "SELECT site_id, answer, answers FROM pulse_counts WHERE day = (now() AT TIME ZONE 'Europe/Stockholm')::date")}


def test_in_a_browser_the_pulse_question_is_one_tap_and_counted_per_site_and_day(
    intake: Intake, form_worker: WorkerProcess, browser
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    find = browser.find_element
    browser.get(intake.url(intake.token_a))
    assert "Hur trygg kändes platsen idag?" in find(By.CSS_SELECTOR, "#pulse-form legend").text
    assert find(By.ID, "pulse-5").get_attribute("aria-label") == "5: Mycket trygg"
    loads_page(browser, lambda: find(By.ID, "pulse-4").click())  # one tap, nothing else to fill in
    assert find(By.ID, "pulse-thanks").text == "Tack! Ditt svar om tryggheten är sparat."
    assert find(By.TAG_NAME, "h1").text == "Rapportera en händelse"  # still the form: report next if need be
    loads_page(browser, lambda: find(By.LINK_TEXT, "In English").click())
    assert "How safe did the place feel today?" in find(By.CSS_SELECTOR, "#pulse-form legend").text
    loads_page(browser, lambda: find(By.ID, "pulse-2").send_keys(Keys.ENTER))  # keyboard only
    assert find(By.ID, "pulse-thanks").text == "Thank you! Your answer about safety is saved."

    with httpx.Client() as client:
        page = client.get(intake.url(intake.token_a)).text
        fields = {name: re.search(rf'name="{name}" value="([^"]*)"', page)[1]  # type: ignore[index]
                  for name in ("pulse_nonce", "pulse_csrf", "site")}
        url = intake.url(intake.token_a) + "/puls"
        for _ in range(2):  # a double tap: the same form twice is one answer
            assert client.post(url, data={**fields, "answer": "5"}).status_code == 303
        assert client.post(url, data={**fields, "site": "site-b", "answer": "1"}).status_code == 403
        assert client.post(url, data={**fields, "answer": "9"}).status_code == 400
        assert client.post(url, data={**fields, "pulse_csrf": "x", "answer": "1"}).status_code == 400
        other = client.get(intake.url(intake.token_b)).text
        b_fields = {name: re.search(rf'name="{name}" value="([^"]*)"', other)[1]  # type: ignore[index]
                    for name in ("pulse_nonce", "pulse_csrf", "site")}
        assert b_fields["site"] == "site-b"
        assert client.post(intake.url(intake.token_b) + "/puls", data={**b_fields, "answer": "3"}).status_code == 303

    expected = {("site-a", 4): 1, ("site-a", 2): 1, ("site-a", 5): 1, ("site-b", 3): 1}
    wait_for(lambda: pulse_taps(intake.settings.database_url) == expected, 60, "the pulse taps to be counted")
    with psycopg.connect(intake.settings.database_url) as conn:
        columns = [c for (c,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'pulse_counts' ORDER BY 1")]
        assert conn.execute("SELECT count(*) FROM incident_events").fetchone()[0] == 0  # no incident made
    assert columns == ["answer", "answers", "day", "site_id"]  # an aggregate, no free text, no reporter
    form_worker.assert_alive()


def test_broker_outage_every_receipted_report_is_counted_exactly_once(postgres, database: str, tmp_path: Path) -> None:
    own_broker = Broker(tmp_path / "broker.log").start()  # our own: stopping the session's would hurt others
    opened = open_intake(own_broker.bootstrap, database, form_rate_per_token=1000, form_rate_per_address=1000,
                         relay_max_backoff_seconds=2.0)
    create_topics(opened.settings)
    relay = start_relay(opened.settings, tmp_path / "relay.log")
    worker = WorkerProcess(opened.settings, tmp_path / "worker.log").start()
    restarted: Broker | None = None
    try:
        with FormServer(opened.settings), httpx.Client(follow_redirects=True) as client:
            assert post_report(client, opened.url(opened.token_a)).status_code == 200
            wait_for(lambda: counted(database) == 1, 60, "a first report to be counted (relay and worker connected)")
            own_broker.stop()
            worker.kill()  # it must be restarted against the new broker (memory storage: topics and offsets gone)
            references = set()
            for _ in range(100):
                answer = post_report(client, opened.url(opened.token_a))
                assert answer.status_code == 200 and "Tack! Rapporten är mottagen" in answer.text
                references.add(re.search(r'id="reference">([^<]+)<', answer.text)[1])  # type: ignore[index]
            assert len(references) == 100
            with psycopg.connect(database) as conn:
                assert conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0] == 100
            # The broker stays away until the relay has felt it (a round failed), however fast the posts went.
            wait_for(lambda: "(outbox relay) unavailable" in (tmp_path / "relay.log").read_text(), 60,
                     "the relay to notice the outage")

            restarted = Broker(tmp_path / "broker2.log", port=own_broker.port).start()
            create_topics(opened.settings)
            worker.start()
            wait_for(lambda: counted(database) >= 101, 120, "the backlog to be counted")
        with psycopg.connect(database) as conn:
            assert conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0] == 101
        assert counted(database) == 101  # the first report and exactly the 100 sent during the outage
        assert relay.poll() is None, (tmp_path / "relay.log").read_text()[-3000:]  # it waited the outage out
        worker.assert_alive()
    finally:
        worker.stop()
        relay.terminate()
        relay.wait(15)
        for server in (own_broker, restarted):
            if server is not None:
                server.stop()


def test_partners_command_issues_lists_and_revokes_links(database: str, monkeypatch, capsys, tmp_path: Path) -> None:
    from trygg.cli import main

    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("FORM_BASE_URL", "https://rapport.example.se")
    with connect(database) as conn:
        upsert_agreements(conn, intake_world())
    assert main(["partners", "issue", "--agreement", AGREEMENT_A.area_id, "--partner", "shop-a", "--qr",
                 "--qr-png", str(tmp_path / "qr.png")]) == 0
    printed = capsys.readouterr().out
    token = re.search(r"https://rapport\.example\.se/r/(\S+)", printed)[1]  # type: ignore[index]
    assert "█" in printed and (tmp_path / "qr.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["partners", "issue", "--agreement", AGREEMENT_A.area_id, "--partner", "shop-a",
                 "--site", "site-b"]) == 2  # shop B's site: refused
    foreign = say("foreign_sites", partner="shop-a", agreement=AGREEMENT_A.area_id)
    assert f"{say('error')}: {foreign}: site-b\n" in capsys.readouterr().err
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM partner_links WHERE token_sha256 LIKE %s", (f"%{token}%",)
                            ).fetchone()[0] == 0  # the token itself is never stored
    main(["partners", "list"])
    listing = capsys.readouterr().out
    assert f"{token[:6]}…" in listing and "shop-a" in listing and say("active") in listing and "site-a" in listing
    assert main(["partners", "revoke", token[:8]]) == 0
    assert capsys.readouterr().out == say("links_revoked", revoked=1) + "\n"
    main(["partners", "list"])
    assert say("revoked") in capsys.readouterr().out
