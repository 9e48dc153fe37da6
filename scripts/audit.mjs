// Accessibility and speed of the storyteller's pages: axe-core on every page at two widths, Lighthouse on the landing
// page, a finished story and an ending, and the landing page's weight. Exits non-zero when a target is missed.
// Usage: node audit.mjs BASE_URL   (audit.sh starts the server and calls this)
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const base = process.argv[2];
if (!base) {
  console.error("usage: node audit.mjs BASE_URL");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const chrome = process.env.CHROME_PATH || "/usr/bin/chromium";
const FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"];
const FINALS = ["complete", "busy", "no_answer", "failed", "canceled", "hung_up", "no_recording", "machine"];
let failures = 0;

const browser = await chromium.launch({ executablePath: chrome, args: FLAGS.slice(1) });
// axe is injected through the DevTools protocol, which the page's CSP (no inline script) does not govern.
const context = await browser.newContext({ bypassCSP: true });

async function callAndWait(number) {
  const page = await context.newPage();
  await page.goto(base + "/");
  await page.fill("#tel", number);
  await Promise.all([page.waitForURL(/\/recording\//), page.click("form.call button")]);
  const url = page.url();
  await page.waitForFunction((finals) => finals.includes(document.getElementById("status")?.dataset.status),
    FINALS, { timeout: 60000 });
  await page.close();
  return url;
}

const [finished, ending] = await Promise.all([callAndWait("201-555-0100"), callAndWait("201-555-0101")]);
const live = await (async () => {
  const page = await context.newPage();
  await page.goto(base + "/");
  await page.fill("#tel", "201-555-0102");
  await Promise.all([page.waitForURL(/\/recording\//), page.click("form.call button")]);
  return page;
})();

async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
  }));
  const width = page.viewportSize().width;
  if (result.violations.length) {
    failures++;
    for (const v of result.violations) {
      console.log(`axe ${name} @${width}: ${v.id} (${v.impact}): ${v.help}`);
      for (const n of v.nodes) console.log(`    ${n.target.join(" ")}: ${n.failureSummary.replace(/\n/g, " ")}`);
    }
  } else {
    console.log(`axe ${name} @${width}: no violations (${result.passes.length} rules passed)`);
  }
}

for (const width of [375, 1280]) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 800 });
  await page.goto(base + "/");
  await axe(page, "landing");
  await page.fill("#tel", "555-12");
  await page.click("form.call button");
  await page.waitForSelector("#tel-error");
  await axe(page, "landing with an error");
  await page.goto(finished);
  await page.waitForFunction(() => document.querySelector("audio")?.readyState >= 1);
  await axe(page, "finished story");
  await page.goto(ending);
  await axe(page, "ending (busy)");
  await page.goto(base + "/recording/AAAAAAAAAAAAAAAAAAAAAA");
  await axe(page, "not found");
  await page.close();
}
await live.setViewportSize({ width: 375, height: 800 });
await axe(live, "live call");
await browser.close();

function lighthouse(url, name, categories) {
  const bin = new URL("./node_modules/.bin/lighthouse", import.meta.url).pathname;
  const out = execFileSync(bin, [url, "--quiet", "--output=json",
    `--chrome-flags=${FLAGS.join(" ")}`, `--only-categories=${categories.join(",")}`],
  { env: { ...process.env, CHROME_PATH: chrome }, maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "inherit"] });
  const report = JSON.parse(out);
  const scores = categories.map((c) => [c, Math.round(report.categories[c].score * 100)]);
  const weight = report.audits["total-byte-weight"]?.numericValue;
  console.log(`lighthouse ${name}: ${scores.map(([c, s]) => `${c} ${s}`).join(", ")}; ` +
    `${(weight / 1024).toFixed(1)} KiB transferred; LCP ${Math.round(report.audits["largest-contentful-paint"].numericValue)} ms, ` +
    `CLS ${report.audits["cumulative-layout-shift"].numericValue.toFixed(3)}`);
  for (const [c, s] of scores) {
    if (s < 100) {
      failures++;
      for (const ref of report.categories[c].auditRefs) {
        const a = report.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1) console.log(`    ${c}: ${a.id} ${a.score}: ${a.title}`);
      }
    }
  }
  return weight;
}

const all = ["performance", "accessibility", "best-practices", "seo"];
const weight = lighthouse(base + "/", "landing", all);
if (weight >= 100 * 1024) {
  failures++;
  console.log(`the landing page weighs ${(weight / 1024).toFixed(1)} KiB, over 100 KiB`);
}
lighthouse(finished, "finished story", all.slice(0, 3));
lighthouse(ending, "ending (busy)", all.slice(0, 3));

console.log(failures ? `audit: ${failures} target(s) missed` : "audit: every target met");
process.exit(failures ? 1 : 0);
