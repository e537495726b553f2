// The console's must-show flow in a real browser (Debian chromium driven by playwright-core),
// run by crates/tripline/tests/console_browser.rs against a seeded `tripline serve`:
// log in; filter the queue to posture_weakened; open the alert; follow it to its session
// timeline and see the rm -rf tool result; acknowledge; close as a true positive; see the
// change; and as an analyst get 403 from the raw tier. Prints one JSON line of findings.
"use strict";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const { chromium } = require(env("PLAYWRIGHT_CORE"));
const base = env("CONSOLE_URL");
const shots = env("SHOT_DIR");
const alertId = env("ALERT_ID");

async function main() {
  const context = await chromium.launchPersistentContext(env("USER_DATA_DIR"), {
    executablePath: env("CHROMIUM"),
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1360, height: 900 },
  });
  const out = {};
  try {
    const page = context.pages()[0] || (await context.newPage());
    const external = [];
    page.on("request", (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

    // 1. Log in (the queue redirects to the login page first).
    await page.goto(`${base}/ui/alerts`);
    out.login_redirect = new URL(page.url()).pathname;
    await page.fill("#name", env("ANALYST_NAME"));
    await page.fill("#password", env("ANALYST_PASSWORD"));
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    out.after_login = new URL(page.url()).pathname;

    // 2. Filter the queue to posture_weakened.
    await page.selectOption("select[name=pattern]", "posture_weakened");
    await Promise.all([page.waitForNavigation(), page.click("form.filters button[type=submit]")]);
    out.filter_url = page.url();
    out.queue_rules = await page.$$eval("#alerts tbody tr td:nth-child(3)", (tds) => tds.map((t) => t.textContent.trim()));
    await page.screenshot({ path: `${shots}/console-alerts.png`, fullPage: false });

    // 3. Open the alert.
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-alert="${alertId}"] td:nth-child(3) a`)]);
    out.detail_url = page.url();
    out.detail_status = (await page.textContent("#status")).trim();

    // 4. Follow it to its session timeline and see the rm -rf tool result.
    await Promise.all([page.waitForNavigation(), page.click("#session-link")]);
    out.timeline_url = page.url();
    // The tool result row, with the command shown up front (not folded away).
    const row = page.locator("#timeline tbody tr", { hasText: "tool_result" })
      .filter({ has: page.locator("dd:visible", { hasText: "rm -rf" }) }).first();
    await row.waitFor({ state: "visible", timeout: 10000 });
    out.timeline_rm_rf = (await row.locator("dd:visible", { hasText: "rm -rf" }).first().textContent()).includes("rm -rf");
    await row.evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.evaluate(() => window.scrollBy(0, -120));
    await page.screenshot({ path: `${shots}/console-session.png`, fullPage: false });

    // 5. Back to the alert: acknowledge, then close as a true positive.
    await Promise.all([page.waitForNavigation(), page.click(`#session-alerts a[href="/ui/alerts/${encodeURIComponent(alertId)}"]`)]);
    await page.selectOption("form.triage select[name=action]", "acknowledge");
    await page.fill("form.triage textarea[name=note]", "looking at the rm -rf");
    await Promise.all([page.waitForNavigation(), page.click("form.triage button[type=submit]")]);
    out.after_ack = (await page.textContent("#status")).trim();
    await page.selectOption("form.triage select[name=action]", "close");
    out.resolution_visible = await page.isVisible("form.triage select[name=resolution]");
    await page.selectOption("form.triage select[name=resolution]", "true_positive");
    await page.fill("form.triage textarea[name=note]", "confirmed: unattended rm -rf with weakened sandbox");
    await Promise.all([page.waitForNavigation(), page.click("form.triage button[type=submit]")]);
    out.after_close = (await page.textContent("#status")).trim();
    out.resolution = (await page.textContent("#resolution")).trim();
    out.audit_rows = await page.$$eval("#audit tbody tr", (r) => r.length);
    out.revision = Number((await page.textContent("#revision")).trim());
    await page.screenshot({ path: `${shots}/console-alert-closed.png`, fullPage: false });

    // The queue shows it closed.
    await page.goto(`${base}/ui/alerts?pattern=posture_weakened&status=closed`);
    out.closed_in_queue = await page.$$eval(`tr[data-alert="${alertId}"]`, (r) => r.length);

    // Errors so far (the 403s below are expected and the browser logs them too).
    out.console_errors = errors.slice();

    // 6. An analyst cannot open the raw tier.
    const raw = await page.goto(`${base}/ui/raw`);
    out.raw_status = raw.status();
    const cfg = await page.goto(`${base}/ui/config`);
    out.config_status = cfg.status();

    // Health draws charts.
    await page.goto(`${base}/ui/health`);
    out.health_svgs = await page.$$eval("figure.chart svg", (s) => s.length);
    await page.screenshot({ path: `${shots}/console-health.png`, fullPage: false });

    out.external_requests = external;
  } finally {
    await context.close();
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
