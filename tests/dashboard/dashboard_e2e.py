#!/usr/bin/python3
"""End-to-end test of the dashboard in headless Chromium (Debian's chromium,
chromium-driver and python3-selenium).

usage: dashboard_e2e.py TRANCHED TRANCHE_CLI SEED SCREENSHOT.png

Starts the real tranched (seeded HIEC programme) with a viewer and a finance
token, opens http://127.0.0.1:PORT/#token=VIEWER, waits for the 17 clusters,
records a tranche through the API and checks that the live feed shows it and
the paid figures change without a reload. A member named with markup
(`<img src=x onerror=alert(1)>`) must show as text in the cluster detail, with
no element made from it. Saves a screenshot and prints its
path. Exits 77 (skipped) only when chromium or chromedriver is absent.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ops"))
from tranche_server import SKIP, TrancheServer, cluster_paid_pence  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def wait_until(what, predicate, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # stale elements while the page re-renders
            last_error = error
        time.sleep(interval)
    fail("timed out waiting for %s%s" % (what, " (%s)" % last_error if last_error else ""))


def make_driver(profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1440,900",
                 "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    tranched, tranche_cli, seed, screenshot = sys.argv[1:]
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.access(binary, os.X_OK):
            print("SKIPPED: %s is absent; ./ops/setup installs chromium and chromium-driver" % binary)
            return SKIP
    from selenium.webdriver.common.by import By

    profile = tempfile.mkdtemp(prefix="tranche-chromium-")
    driver = None
    try:
        with TrancheServer(tranched, tranche_cli, seed,
                           roles=("viewer", "finance", "programme", "auditor")) as server:
            clusters = server.wait_for_clusters(count=17)
            print("server on port %d, %d clusters" % (server.port, len(clusters)), flush=True)
            # Wessex (38 members, the longest names) takes the tranche, so that
            # the screenshot shows the largest detail; else the most award left.
            def remaining(c):
                return next((y["remaining_pence"] for y in c["financial_years"]
                             if y["financial_year"] == "2009/10"), 0)
            target = next((c for c in clusters if c["id"] == "wessex"
                           and remaining(c) >= 2000000), max(clusters, key=remaining))
            amount = 1234567  # £12,345.67
            if remaining(target) < amount:
                fail("no cluster has £12,345.67 left in 2009/10")

            driver = make_driver(profile)
            driver.set_page_load_timeout(30)
            viewer = server.token("viewer")
            driver.get(server.base + "/#token=" + viewer)

            rows = lambda: driver.find_elements(By.CSS_SELECTOR, "#clusters tbody tr[data-id]")
            wait_until("17 cluster rows", lambda: len(rows()) == 17)
            wait_until("the live stream", lambda: driver.find_element(By.ID, "status").text == "live")
            print("dashboard shows %d clusters and is live" % len(rows()), flush=True)

            # The token left the address bar and stayed in local storage.
            url = driver.current_url
            if "token" in url:
                fail("the token is still in the address bar: " + url)
            stored = driver.execute_script("return localStorage.getItem('tranche.token')")
            if stored != viewer:
                fail("the token is not kept in localStorage")

            # Sorting: by members, descending, puts the largest cluster first.
            driver.find_element(By.CSS_SELECTOR, "#clusters th[data-key=member_count] button").click()
            first = rows()[0].get_attribute("data-id")
            most = max(clusters, key=lambda c: c["member_count"])
            if first != most["id"] and next(c for c in clusters if c["id"] == first)[
                    "member_count"] != most["member_count"]:
                fail("sorting by members put %s first, expected %s" % (first, most["id"]))
            # A member whose name is markup joins the target cluster: the page
            # must show the name as text and make no element of it.
            markup_name = "<img src=x onerror=alert(1)>"
            server.post_json("/v1/commands/add-member",
                             {"command_id": "e2e-markup-member", "cluster_id": target["id"],
                              "name": markup_name, "sector": "industry",
                              "joined_on": "2010-02-01"}, server.token("programme"))
            # Then open the target cluster's detail, once the table has taken
            # the new member (the live update re-renders the rows).
            wait_until("the new member in the table's count", lambda: driver.find_element(
                By.CSS_SELECTOR, '#clusters tbody tr[data-id="%s"] td:nth-child(4)' % target["id"]
            ).text == str(target["member_count"] + 1))
            def open_detail():
                driver.find_element(By.CSS_SELECTOR,
                                    '#clusters tbody tr[data-id="%s"]' % target["id"]).click()
                return True
            wait_until("a click on the cluster's row", open_detail)
            wait_until("the cluster detail",
                       lambda: driver.find_element(By.ID, "detail-title").text == target["name"])
            wait_until("the markup-named member as text in the detail",
                       lambda: markup_name in driver.find_element(
                           By.ID, "detail-members").get_attribute("textContent"))
            if driver.find_elements(By.CSS_SELECTOR, "#detail-members img, img[src=x]"):
                fail("the member name's markup was rendered as an element")
            print("member %s shows as text, no element made" % markup_name, flush=True)

            def cluster_paid_text():
                return driver.find_element(
                    By.CSS_SELECTOR, '#clusters tbody tr[data-id="%s"] td[data-figure=paid]'
                    % target["id"]).text

            def year_paid_text():
                return driver.find_element(
                    By.CSS_SELECTOR, '#years [data-year="2009/10"] [data-figure=paid]').text

            before_cluster, before_year = cluster_paid_text(), year_paid_text()
            before_total = driver.find_element(By.ID, "total-paid").text
            feed_before = len(driver.find_elements(By.CSS_SELECTOR, "#feed li"))
            programme_before = server.get_json("/v1/programmes/hiec", viewer)

            driver.execute_script("window.e2eNoReload = true")  # gone if the page reloads
            # The payment reference carries markup: the page must show it as text.
            reference = "E2E-<b>0001</b>"
            started = time.monotonic()
            result = server.record_tranche(target["id"], "2009/10", amount, "2010-02-15", reference)
            position = result["last_position"]
            print("recorded a tranche of £12,345.67 for %s at position %d"
                  % (target["id"], position), flush=True)

            def feed_item():
                items = driver.find_elements(By.CSS_SELECTOR, '#feed li[data-position="%d"]' % position)
                return items[0] if items else None
            item = wait_until("the live feed to show the tranche", feed_item, timeout=10)
            feed_latency = time.monotonic() - started
            if reference not in item.text:
                fail("the feed item does not show the reference as text: %r" % item.text)
            if item.find_elements(By.TAG_NAME, "b"):
                fail("the reference's markup was rendered as HTML in the feed")

            after = server.get_json("/v1/clusters/" + target["id"], viewer)
            expected_paid = "£{:,.2f}".format(cluster_paid_pence(after) / 100)
            wait_until("the cluster's paid figure to change to " + expected_paid,
                       lambda: cluster_paid_text() == expected_paid, timeout=10)
            programme_after = server.get_json("/v1/programmes/hiec", viewer)
            year_after = next(y for y in programme_after["financial_years"]
                              if y["financial_year"] == "2009/10")
            wait_until("the year's paid bar to show " + year_after["paid"],
                       lambda: year_paid_text() == year_after["paid"], timeout=10)
            figures_latency = time.monotonic() - started
            year_before = next(y for y in programme_before["financial_years"]
                               if y["financial_year"] == "2009/10")
            if year_after["paid_pence"] - year_before["paid_pence"] != amount:
                fail("the programme's paid total moved by %d pence, not %d"
                     % (year_after["paid_pence"] - year_before["paid_pence"], amount))
            if cluster_paid_text() == before_cluster or year_paid_text() == before_year:
                fail("paid figures did not change")
            if not driver.execute_script("return window.e2eNoReload === true"):
                fail("the page reloaded")
            if driver.find_element(By.ID, "total-paid").text == before_total:
                fail("the table's total paid did not change")
            wait_until("the tranche in the cluster detail",
                       lambda: reference in driver.find_element(By.ID, "detail-tranches").text)
            if driver.find_elements(By.CSS_SELECTOR, "#detail-tranches b"):
                fail("the reference's markup was rendered as HTML in the detail")
            if len(driver.find_elements(By.CSS_SELECTOR, "#feed li")) <= feed_before:
                fail("the feed did not grow")
            print("feed showed the tranche after %.2fs, figures after %.2fs (paid %s -> %s; "
                  "2009/10 paid %s -> %s)" % (feed_latency, figures_latency, before_cluster,
                                             cluster_paid_text(), before_year, year_paid_text()),
                  flush=True)
            if figures_latency > 3.0:
                fail("figures took %.2fs to update (want about a second)" % figures_latency)
            for value, name in ((before_cluster, "cluster"), (expected_paid, "expected")):
                if not value.startswith("£"):
                    fail("%s paid %r is not formatted in pounds" % (name, value))

            # The connection drops (server restart on the same port); the page
            # resumes from last + 1: the next tranche arrives once, none is lost.
            server.restart()
            print("server restarted on port %d" % server.port, flush=True)
            wait_until("the dashboard to reconnect",
                       lambda: driver.find_element(By.ID, "status").text == "live", timeout=30)
            second = server.record_tranche(target["id"], "2009/10", 100000, "2010-03-01",
                                           "E2E-0002")["last_position"]
            wait_until("the feed to show the tranche after the reconnection",
                       lambda: driver.find_elements(
                           By.CSS_SELECTOR, '#feed li[data-position="%d"]' % second), timeout=10)
            positions = [int(li.get_attribute("data-position"))
                         for li in driver.find_elements(By.CSS_SELECTOR, "#feed li")]
            if len(positions) != len(set(positions)):
                fail("the feed shows an event twice after resuming: %s" % positions)
            if positions != sorted(positions, reverse=True) or positions[0] != second:
                fail("the feed is out of order after resuming: %s" % positions)
            expected_paid = "£{:,.2f}".format(
                cluster_paid_pence(server.get_json("/v1/clusters/" + target["id"], viewer)) / 100)
            wait_until("the paid figure after the reconnection",
                       lambda: cluster_paid_text() == expected_paid, timeout=10)
            print("after the restart the dashboard resumed and showed position %d once" % second,
                  flush=True)

            # Logged errors: the dropped connection and the fetches made while
            # the server was down are expected; nothing else.
            severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"
                      and "/v1/stream" not in e.get("message", "")
                      and "ERR_CONNECTION_REFUSED" not in e.get("message", "")]
            if severe:
                fail("browser console errors: %s" % severe)

            # A full-page screenshot.
            for _ in range(3):  # the window includes a little chrome: converge on the page
                inner, height = driver.execute_script(
                    "return [window.innerHeight, document.documentElement.scrollHeight]")
                if inner >= height:
                    break
                size = driver.get_window_size()
                driver.set_window_size(1440, min(size["height"] + height - inner + 8, 5000))
            os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
            if not driver.save_screenshot(screenshot):
                fail("could not save the screenshot")
            print("screenshot: " + os.path.abspath(screenshot), flush=True)
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
