// GraphiQL as served by Releasedesk, in headless Chromium: the page loads
// from the server alone (no other origin), runs a query with the token put in
// its Headers tab, and shows the answer. Usage: node graphiql.mjs <base-url> <token> [chromium]
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const [base, token, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
const origin = new URL(base).origin;
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  const problems = [];
  const foreign = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  page.on("request", (r) => new URL(r.url()).origin !== origin && foreign.push(r.url()));
  // what a developer would type into the Headers tab, kept by GraphiQL
  await page.addInitScript((t) => {
    localStorage.setItem("graphiql:headers", JSON.stringify({ Authorization: `Bearer ${t}` }));
    localStorage.setItem("graphiql:query", "{ me { email roles } }");
  }, token);
  await page.goto(new URL("/graphql", base).href);
  await page.waitForSelector(".graphiql-container", { timeout: 30000 });
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    () => document.querySelector(".result-window")?.textContent?.includes("roles"),
    null,
    { timeout: 30000 },
  );
  const result = await page.textContent(".result-window");
  assert.ok(result.includes("ADMINISTRATOR"), `the answer shows: ${result}`);
  assert.deepEqual(foreign, [], "nothing loaded from another origin");
  assert.deepEqual(problems, [], "no console errors (CSP, scripts)");
  console.log("graphiql in chromium: ok");
} finally {
  await browser.close();
}
