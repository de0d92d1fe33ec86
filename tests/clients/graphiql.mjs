// GraphiQL as served by Releasedesk, in headless Chromium on an empty profile:
// the page loads from the server alone (no other origin), the token is typed
// into its Headers tab, `me` runs, and the answer shows. A screenshot is kept.
// Usage: node graphiql.mjs <base-url> <token> [chromium] [screenshot.png]
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const [base, token, executablePath = "/usr/bin/chromium", screenshot] = process.argv.slice(2);
const origin = new URL(base).origin;
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = [];
  const foreign = [];
  // until the real token is typed, GraphiQL's schema fetch is refused (401);
  // anything else failing is a problem
  const unauthenticated = (text) => text.includes("401");
  page.on("console", (m) => m.type() === "error" && !unauthenticated(m.text()) && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("response", (r) => r.status() >= 400 && r.status() !== 401 && problems.push(`${r.status()} ${r.url()}`));
  page.on("request", (r) => new URL(r.url()).origin !== origin && foreign.push(r.url()));
  await page.goto(new URL("/graphql", base).href);
  await page.waitForSelector(".graphiql-container", { timeout: 30000 });

  // the Headers tab is open and shows where the token goes
  const headers = page.locator(".graphiql-editor-tool .CodeMirror").filter({ visible: true }).first();
  assert.match(await headers.innerText(), /Authorization/, "the Headers tab shows the hint");
  await headers.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type(`{"Authorization": "Bearer ${token}"`);
  // the query editor: replace the welcome query with `me`
  const query = page.locator(".graphiql-query-editor .CodeMirror").first();
  await query.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type("{ me { email roles ");
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    () => document.querySelector(".result-window")?.textContent?.includes("ADMINISTRATOR"),
    null,
    { timeout: 30000 },
  );
  if (screenshot) await page.screenshot({ path: screenshot });
  const result = await page.textContent(".result-window");
  assert.ok(result.includes("roles"), `the answer shows: ${result}`);
  assert.deepEqual(foreign, [], "nothing loaded from another origin");
  assert.deepEqual(problems, [], "no console errors (CSP, scripts, missing files)");
  console.log("graphiql in chromium: ok");
} finally {
  await browser.close();
}
