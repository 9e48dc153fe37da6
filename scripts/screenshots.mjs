// Screenshots of every storyteller page at a phone's width (375 px) and a desktop's (1280 px).
// Usage: node screenshots.mjs BASE_URL OUT_DIR   (screenshots.sh starts the server and calls this)
import { chromium } from "playwright-core";
import { mkdir } from "node:fs/promises";

const [base, out] = process.argv.slice(2);
if (!base || !out) {
  console.error("usage: node screenshots.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
await mkdir(out, { recursive: true });

const WIDTHS = [375, 1280];
const ENDINGS = {
  busy: "201-555-0101",
  no_answer: "201-555-0102",
  failed: "201-555-0103",
  hung_up: "201-555-0104",
  no_recording: "201-555-0105",
  machine: "201-555-0106",
};
const FINALS = ["complete", "busy", "no_answer", "failed", "canceled", "hung_up", "no_recording", "machine"];

const browser = await chromium.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function pageAt(width) {
  const context = await browser.newContext({ viewport: { width, height: width < 600 ? 812 : 900 } });
  const page = await context.newPage();
  // Proves the pages ask nothing of any other origin.
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith("data:")) console.error(`REQUEST LEFT THE ORIGIN: ${r.url()}`);
  });
  // The form's 422 and the not-found page's 404 are meant: report any other error.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 4(04|22)/.test(m.text())) console.error(`console error on ${page.url()}: ${m.text()}`);
  });
  return page;
}

async function shot(page, name) {
  const width = page.viewportSize().width;
  // Fonts are swapped in: wait for them so the picture shows the real faces.
  await page.evaluate(() => document.fonts.ready);
  const file = `${out}/${name}-${width}.png`;
  await page.screenshot({ path: file, fullPage: true });
  console.log(file);
}

async function startCall(page, number) {
  await page.goto(base + "/");
  await page.fill("#tel", number);
  await Promise.all([page.waitForURL(/\/recording\//), page.click("button[type=submit]")]);
  return page.url();
}

async function statusOf(page) {
  return page.evaluate(() => document.getElementById("status")?.getAttribute("data-status"));
}

async function waitFor(page, wanted, timeout = 60000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const s = await statusOf(page);
    if (wanted.includes(s)) return s;
    await page.waitForTimeout(50);
  }
  throw new Error(`${page.url()}: still ${await statusOf(page)}, wanted ${wanted}`);
}

for (const width of WIDTHS) {
  const page = await pageAt(width);
  await page.goto(base + "/");
  await shot(page, "landing");
  await page.fill("#tel", "555-12");
  await page.click("button[type=submit]");
  await page.waitForSelector("#tel-error");
  await shot(page, "landing-error");

  await startCall(page, "201-555-0100");
  await shot(page, "live-calling");
  await waitFor(page, ["recording"]);
  await shot(page, "live-recording");
  await waitFor(page, ["complete"]);
  await page.waitForFunction(() => document.querySelector("audio")?.readyState >= 1);
  await shot(page, "finished");
  await page.goto(base + "/recording/AAAAAAAAAAAAAAAAAAAAAA");
  await shot(page, "not-found");
  await page.context().close();
}

// The endings are independent calls: place them side by side, then photograph each at both widths.
await Promise.all(Object.entries(ENDINGS).map(async ([ending, number]) => {
  const page = await pageAt(WIDTHS[0]);
  const url = await startCall(page, number);
  const got = await waitFor(page, FINALS);
  if (got !== ending) console.error(`${number}: expected ${ending}, got ${got}`);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 812 });
    await page.goto(url);
    await shot(page, `ending-${ending}`);
  }
  await page.context().close();
}));

await browser.close();
