// The Release workspace in headless Chromium, against the real server with the
// demo loaded. Each demo role signs in and sees only what it may; a release
// manager walks a MAJOR release from DRAFT to CLOSED by clicking, while two
// board members vote in their own browser contexts and the open release and
// the list follow changes made elsewhere without a reload; costs, a conflict
// warning, the report's CSV, the schedule with a freeze and a calendar feed
// fetched and revoked, an edit conflict, a lost connection and signing out are
// checked; axe-core reports no serious or critical violation.
// Usage: node workspace.mjs <base-url> <tokens.json> <chromium> <artefact-dir>
// where tokens.json maps demo roles (ADMINISTRATOR, RELEASE_MANAGER,
// REVIEW_BOARD, CHANGE_MANAGER, STAKEHOLDER) to API tokens.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { apiAt } from "./live-kit.mjs";

const [base, tokensFile, executablePath, artefacts] = process.argv.slice(2);
const tokens = JSON.parse(readFileSync(tokensFile, "utf8"));
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const STEP = 20000; // every wait is bounded
const origin = new URL(base).origin;
const api = apiAt(base);

/** Polls `check` until it returns a truthy value, for at most STEP ms. */
async function until(what, check) {
  const deadline = Date.now() + STEP;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function log(step) {
  console.log(`workspace: ${step}`);
}

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const problems = [];

/** A signed-in page in its own context (its own sessionStorage). */
async function signedIn(role, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  context.setDefaultTimeout(STEP);
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`${role}: ${e}`));
  page.on("console", (m) => {
    // the offline step makes fetches fail on purpose
    if (m.type() === "error" && !/ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource/.test(m.text())) {
      problems.push(`${role}: ${m.text()}`);
    }
  });
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (!["data:", "blob:"].includes(url.protocol) && url.origin !== origin) problems.push(`${role}: request to ${r.url()}`);
    if (r.url().includes("rdk_")) problems.push(`${role}: a token in a URL: ${r.url()}`);
  });
  await page.goto(base);
  await page.getByLabel("API token", { exact: true }).fill(tokens[role]);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
  return page;
}

async function axe(page, where) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `axe-core on ${where}`,
  );
}

async function rowIds(page) {
  return page.locator("tr[data-release-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-release-id")));
}

async function shownStatus(page) {
  return (await page.locator(".page-head .badge").first().innerText()).trim();
}

async function openRelease(page, id) {
  await page.goto(`${base}/#/releases/${id}`);
  await page.locator("#release-title").waitFor();
}

try {
  // ---- the stakeholder: only their releases, no actions, no management pages
  log("stakeholder");
  const sam = await signedIn("STAKEHOLDER");
  const samList = await api(tokens.STAKEHOLDER, "{ releases(first: 100) { totalCount nodes { id } } }");
  await until("the stakeholder's list", async () => (await rowIds(sam)).length === samList.releases.totalCount);
  assert.deepEqual(await rowIds(sam), samList.releases.nodes.map((n) => n.id), "the stakeholder sees exactly their releases, in id order");
  assert.ok(samList.releases.totalCount > 0, "the demo puts the stakeholder on a release");
  for (const name of ["New release", "Report", "Administration", "My approvals"]) {
    assert.equal(await sam.getByRole("link", { name }).count(), 0, `a stakeholder is not offered ${name}`);
  }
  await sam.locator("tr[data-release-id]").first().focus();
  await sam.keyboard.press("Enter");
  await sam.locator("#release-title").waitFor();
  assert.equal(await sam.getByRole("group", { name: "Release actions" }).count(), 0, "no release actions for a stakeholder");
  assert.equal(await sam.getByRole("link", { name: "Edit", exact: true }).count(), 0, "no edit for a stakeholder");
  assert.equal(await sam.getByRole("form", { name: "Add a cost line" }).count(), 0, "no cost entry for a stakeholder");
  await axe(sam, "a release, as a stakeholder");

  // ---- the change manager: no reports, no administration, no release creation
  log("change manager");
  const chen = await signedIn("CHANGE_MANAGER");
  await chen.locator("tr[data-release-id]").first().waitFor();
  for (const name of ["New release", "Report", "Administration", "My approvals"]) {
    assert.equal(await chen.getByRole("link", { name }).count(), 0, `a change manager is not offered ${name}`);
  }
  await chen.context().close();

  // ---- the administrator adds a second board member, through the screens
  log("administrator");
  const ada = await signedIn("ADMINISTRATOR");
  await ada.getByRole("link", { name: "Administration", exact: true }).click();
  const addPerson = ada.getByRole("form", { name: "Add a person" });
  await addPerson.getByLabel("Name", { exact: true }).fill("Bea Board");
  await addPerson.getByLabel("E-mail", { exact: true }).fill("bea.board@example.com");
  await addPerson.getByRole("button", { name: "Add person", exact: true }).click();
  const beaRoles = ada.getByRole("form", { name: "Roles of Bea Board" });
  await beaRoles.getByLabel("review board", { exact: true }).check();
  await beaRoles.getByRole("button", { name: /Save roles/ }).click();
  await until("Bea's role", async () => {
    const { people } = await api(tokens.ADMINISTRATOR, '{ people(search: "bea.board") { roles } }');
    return people[0]?.roles.includes("REVIEW_BOARD");
  });
  await axe(ada, "administration, people");
  await ada.getByRole("tab", { name: "Tokens", exact: true }).click();
  const issue = ada.getByRole("form", { name: "Issue a token" });
  await issue.getByLabel("For", { exact: true }).selectOption({ label: "Bea Board (bea.board@example.com)" });
  await issue.getByLabel("Token name", { exact: true }).fill("browser test");
  await issue.getByRole("button", { name: "Issue token", exact: true }).click();
  tokens.BEA = (await ada.locator("code.secret").innerText()).trim();
  assert.match(tokens.BEA, /^rdk_/, "the new token is shown once");
  for (const tab of ["Jobs", "Outbox", "Board policy"]) {
    await ada.getByRole("tab", { name: tab }).click();
    await ada.getByRole("tabpanel").getByRole("heading").first().waitFor();
  }
  assert.equal(await ada.getByLabel("Rule", { exact: true }).inputValue(), "ALL", "the board policy shows its rule");
  await ada.getByRole("tab", { name: "Jobs", exact: true }).click();
  await ada.getByRole("button", { name: "Run now cost-rollup", exact: true }).click();
  await ada.getByRole("table", { name: "Latest runs" }).getByRole("cell", { name: "cost-rollup" }).first().waitFor();

  // ---- the release manager: the list, its order, filters and pages
  log("release manager: list");
  const rita = await signedIn("RELEASE_MANAGER");
  for (let i = 1; i <= 26; i++) {
    await api(tokens.RELEASE_MANAGER, "mutation($t: String!) { createRelease(input: { title: $t, type: MINOR }) { id } }", {
      t: `Paging filler ${i}`,
    });
  }
  await rita.reload();
  const all = await api(tokens.RELEASE_MANAGER, "{ releases(first: 100) { totalCount nodes { id } } }");
  await until("the first page", async () => (await rowIds(rita)).length === 25);
  await rita.getByText(`${all.releases.totalCount} releases`).waitFor();
  assert.deepEqual(await rowIds(rita), all.releases.nodes.slice(0, 25).map((n) => n.id), "highest id first");
  await rita.getByText(`${all.releases.totalCount} releases`).waitFor();
  await rita.getByRole("button", { name: "Show more releases", exact: true }).click();
  await until("the second page", async () => (await rowIds(rita)).length === all.releases.totalCount);
  assert.deepEqual(await rowIds(rita), all.releases.nodes.map((n) => n.id), "the next page follows in order");
  // a release created elsewhere appears without a reload
  for (let attempt = 1; ; attempt++) {
    const title = `Arrived live ${attempt}`;
    await api(tokens.ADMINISTRATOR, "mutation($t: String!) { createRelease(input: { title: $t, type: MINOR }) { id } }", { t: title });
    const shown = await rita
      .getByRole("link", { name: title, exact: true })
      .waitFor({ timeout: 2000 })
      .then(() => true, () => false);
    if (shown) break;
    assert.ok(attempt < 10, "the list follows releases created elsewhere");
  }
  await rita.screenshot({ path: join(artefacts, "workspace-list.png") });
  await axe(rita, "the release list");

  const filters = rita.getByRole("form", { name: "Filter releases" });
  await filters.getByLabel("Type", { exact: true }).selectOption("EMERGENCY");
  await filters.getByRole("button", { name: "Apply", exact: true }).click();
  const emergencies = await api(tokens.RELEASE_MANAGER, "{ releases(first: 100, filter: { types: [EMERGENCY] }) { nodes { id } } }");
  await until("the filtered list", async () => (await rowIds(rita)).join() === emergencies.releases.nodes.map((n) => n.id).join());
  await filters.getByRole("button", { name: "Clear", exact: true }).click();
  await filters.getByLabel("Search", { exact: true }).fill("mail server");
  await filters.getByLabel("Search", { exact: true }).press("Enter");
  const searched = await api(tokens.RELEASE_MANAGER, '{ releases(first: 100, filter: { search: "mail server" }) { nodes { id title } } }');
  assert.ok(searched.releases.nodes.length > 0, "the demo has a mail server release");
  await until("the searched list", async () => (await rowIds(rita)).join() === searched.releases.nodes.map((n) => n.id).join());
  const mailId = searched.releases.nodes[0].id;
  await rita.locator(`tr[data-release-id="${mailId}"]`).dblclick();
  await rita.locator("#release-title").filter({ hasText: searched.releases.nodes[0].title }).waitFor();

  // ---- a MAJOR release from DRAFT to CLOSED, by clicking
  log("release manager: create");
  await rita.goto(`${base}/#/releases/new`);
  await rita.getByLabel("Title", { exact: true }).fill("Browser-walked mail archive upgrade");
  await rita.getByLabel("Type", { exact: true }).selectOption("MAJOR");
  // inside the demo's running mail release, so the two conflict on an item
  await rita.getByLabel("Planned start", { exact: true }).fill("2027-01-20T09:00");
  await rita.getByLabel("Planned end", { exact: true }).fill("2027-02-20T17:00");
  await rita.getByRole("button", { name: "Create release", exact: true }).click();
  await rita.locator("#release-title").filter({ hasText: "Browser-walked" }).waitFor();
  const id = /#\/releases\/(\d+)/.exec(rita.url())[1];
  assert.equal(await shownStatus(rita), "draft");
  const titles = (await api(tokens.RELEASE_MANAGER, "query($id: ID!) { release(id: $id) { milestones { title } } }", { id })).release.milestones.map(
    (m) => m.title,
  );
  assert.ok(titles.length >= 3, "the default template's milestones");

  const bora = await signedIn("REVIEW_BOARD");
  const bea = await signedIn("BEA");
  for (const name of ["New release", "Report", "Administration"]) {
    assert.equal(await bora.getByRole("link", { name, exact: true }).count(), 0, `a board member is not offered ${name}`);
  }
  assert.equal(await rita.getByRole("link", { name: "Administration", exact: true }).count(), 0, "a release manager is not offered administration");
  /** Both board members approve the open request about release `id` on their My approvals page. */
  async function boardApproves(what) {
    for (const member of [bora, bea]) {
      await member.goto(`${base}/#/approvals`);
      await member.reload();
      const request = member.getByRole("region", { name: `Approval for release ${id}` });
      const form = request.getByRole("form", { name: "Your vote" });
      await form.getByLabel("Approve", { exact: true }).check();
      await form.getByLabel("Comment", { exact: true }).fill(`Fine by me (${what})`);
      await form.getByRole("button", { name: "Cast vote", exact: true }).click();
      await form.waitFor({ state: "detached" });
    }
  }

  log("release manager: submit; the board approves");
  await rita.getByRole("button", { name: "Submit for approval", exact: true }).click();
  await until("REQUESTED", async () => (await shownStatus(rita)) === "requested");
  await bora.goto(`${base}/#/approvals`);
  await bora.getByRole("region", { name: `Approval for release ${id}` }).waitFor();
  await axe(bora, "my approvals");
  await boardApproves("the release");
  await rita.reload();
  await until("APPROVED", async () => (await shownStatus(rita)) === "approved");
  await rita.getByRole("button", { name: "Start", exact: true }).click();
  await until("ACTIVE", async () => (await shownStatus(rita)) === "active");
  // from here the page follows changes made elsewhere (the board's votes) by itself
  for (let attempt = 1; ; attempt++) {
    const { release } = await api(tokens.RELEASE_MANAGER, "query($id: ID!) { release(id: $id) { version } }", { id });
    const text = `Changed elsewhere, ${attempt}`;
    await api(tokens.ADMINISTRATOR, "mutation($id: ID!, $v: Int!, $d: String!) { updateRelease(id: $id, expectedVersion: $v, input: { description: $d }) { id } }", {
      id,
      v: release.version,
      d: text,
    });
    const shown = await rita
      .locator("p.description")
      .filter({ hasText: text })
      .waitFor({ timeout: 2000 })
      .then(() => true, () => false);
    if (shown) break;
    assert.ok(attempt < 10, "the open release follows changes made elsewhere");
  }

  // ---- a conflict warning: an item in this release and in the running mail release
  log("conflict warning");
  const item = await api(tokens.ADMINISTRATOR, 'mutation { createConfigurationItem(input: { name: "archive-gw-01", type: SERVER }) { id } }');
  for (const releaseId of [id, mailId]) {
    await api(tokens.RELEASE_MANAGER, "mutation($r: ID!, $i: ID!) { createPackage(input: { name: \"Gateway\", releaseId: $r, itemIds: [$i] }) { id } }", {
      r: releaseId,
      i: item.createConfigurationItem.id,
    });
  }
  await openRelease(rita, mailId);
  await rita.getByRole("status").filter({ hasText: "Conflicts" }).getByText("archive-gw-01 is also in").waitFor();
  await openRelease(rita, id);


  for (const [index, title] of titles.entries()) {
    log(`milestone ${index + 1}: ${title}`);
    const item = rita.getByRole("listitem", { name: `Milestone ${index + 1}: ${title}` });
    const status = async () => (await item.locator(".badge").first().innerText()).trim();
    await until(`${title} to be open`, async () => ["planned", "active"].includes(await status()));
    if ((await status()) === "planned") {
      await item.getByRole("button", { name: `Start ${title}` }).click();
      await until(`${title} to start`, async () => (await status()) === "active");
    }
    await item.getByRole("button", { name: `Complete ${title}` }).click();
    await until(`${title} to complete or wait`, async () => ["completed", "pending approval"].includes(await status()));
    if ((await status()) === "pending approval") {
      await boardApproves(title);
      // no reload: the votes reach the open page live
      await until(`${title} approved`, async () => (await status()) === "completed");
    }
  }
  await until("REVIEW", async () => (await shownStatus(rita)) === "review");

  // ---- costs: add a line and reverse it
  log("costs");
  const addLine = rita.getByRole("form", { name: "Add a cost line" });
  await addLine.getByLabel("Description", { exact: true }).fill("Archive appliance");
  await addLine.getByLabel(/^Amount/).fill("1250.50");
  await addLine.getByLabel("Category", { exact: true }).selectOption("HARDWARE");
  // the test server's clock stands at 2026-11-27; a line is not dated after it
  await addLine.getByLabel("Incurred on", { exact: true }).fill("2026-11-20");
  await addLine.getByRole("button", { name: "Add cost line", exact: true }).click();
  const ledger = rita.getByRole("table", { name: "Ledger" });
  await ledger.getByRole("cell", { name: "Archive appliance" }).waitFor();
  const running = async () => (await api(tokens.RELEASE_MANAGER, "query($id: ID!) { release(id: $id) { cost { running } } }", { id })).release.cost.running;
  assert.equal(await running(), 125050, "the line is booked in minor units");
  await ledger.getByRole("button", { name: "Reverse", exact: true }).click();
  await ledger.getByLabel(/Why reverse/).fill("Booked on the wrong release");
  await ledger.getByRole("button", { name: "Reverse", exact: true }).click();
  await until("the reversal", async () => (await ledger.locator("tr.reversal").count()) === 1);
  assert.equal(await running(), 0, "the reversal cancels the line");
  assert.equal(await ledger.getByRole("button", { name: "Reverse", exact: true }).count(), 0, "a reversed line cannot be reversed again");

  // ---- the review, then CLOSE
  log("review and close");
  await openRelease(rita, id);
  await rita.getByLabel("Lessons learned", { exact: true }).fill("Book the archive appliance a week earlier.");
  await rita.getByRole("button", { name: "Record review", exact: true }).click();
  await rita.getByRole("button", { name: "Close", exact: true }).click();
  await until("CLOSED", async () => (await shownStatus(rita)) === "closed");
  assert.equal(await rita.getByRole("group", { name: "Release actions" }).count(), 0, "nothing left to do on a closed release");
  await rita.screenshot({ path: join(artefacts, "workspace-release.png"), fullPage: true });
  await axe(rita, "a closed release");

  // ---- an edit that someone else saved first
  log("edit conflict");
  const other = await api(tokens.RELEASE_MANAGER, 'mutation { createRelease(input: { title: "Edited twice", type: MINOR }) { id version } }');
  await rita.goto(`${base}/#/releases/${other.createRelease.id}/edit`);
  await rita.getByLabel("Title", { exact: true }).fill("Edited in the browser");
  await api(tokens.ADMINISTRATOR, 'mutation($id: ID!, $v: Int!) { updateRelease(id: $id, expectedVersion: $v, input: { title: "Edited by the API" }) { version } }', {
    id: other.createRelease.id,
    v: other.createRelease.version,
  });
  await rita.getByRole("button", { name: "Save", exact: true }).click();
  await rita.getByRole("alert").filter({ hasText: "Someone else saved this release first" }).waitFor();
  await until("the fresh values", async () => (await rita.getByLabel("Title", { exact: true }).inputValue()) === "Edited by the API");

  // ---- the report and its CSV
  log("report");
  await rita.getByRole("link", { name: "Report", exact: true }).click();
  await rita.getByLabel("From (UTC, inclusive)", { exact: true }).fill("2026-12-01");
  await rita.getByLabel("To (UTC, exclusive)", { exact: true }).fill("2027-06-01");
  await rita.getByRole("button", { name: "Show report", exact: true }).click();
  await rita.getByRole("img", { name: "By status" }).waitFor();
  await axe(rita, "the report");
  const [download] = await Promise.all([rita.waitForEvent("download"), rita.getByRole("button", { name: "Download CSV", exact: true }).click()]);
  assert.equal(download.suggestedFilename(), "releases-2026-12-01-2027-06-01.csv");
  const csv = readFileSync(await download.path(), "utf8");
  assert.match(csv, /^id,title,type,scope,status,/, "the CSV's header");
  assert.ok(csv.split("\r\n").some((line) => line.startsWith(`${id},Browser-walked mail archive upgrade,MAJOR,STANDALONE,CLOSED,`)), csv);

  // ---- the schedule shows a freeze, and a calendar feed is subscribed and revoked
  log("schedule and calendar feed");
  const freezeStart = new Date(Date.now() + 2 * 86_400_000);
  await api(
    tokens.RELEASE_MANAGER,
    'mutation($s: DateTime!, $e: DateTime!) { createScheduleWindow(input: { title: "Browser-seen freeze", kind: FREEZE, enforcement: SOFT, startsAt: $s, endsAt: $e, timeZone: "UTC", itemIds: [], reason: "Seen in the schedule" }) { id } }',
    { s: freezeStart.toISOString(), e: new Date(freezeStart.getTime() + 3_600_000).toISOString() },
  );
  await rita.getByRole("link", { name: "Schedule", exact: true }).click();
  await rita.getByText("Browser-seen freeze").first().waitFor();
  await axe(rita, "the schedule");
  await rita.getByRole("button", { name: "Create feed", exact: true }).click();
  await rita.locator("code.secret").waitFor();
  const feedUrl = await rita.locator("code.secret").textContent();
  assert.match(feedUrl, /\/calendar\/rdcal_[0-9a-f]{64}\.ics$/, "the feed's address");
  const feedPath = new URL(feedUrl).pathname;
  const feed = await fetch(`${base}${feedPath}`);
  assert.equal(feed.status, 200);
  assert.match(feed.headers.get("content-type"), /^text\/calendar/);
  assert.ok((await feed.text()).includes("SUMMARY:Soft freeze: Browser-seen freeze"), "the feed holds the freeze");
  await rita.getByRole("button", { name: "Revoke My releases", exact: true }).click();
  await rita.getByRole("button", { name: "Revoke My releases", exact: true }).waitFor({ state: "detached" });
  assert.equal((await fetch(`${base}${feedPath}`)).status, 404, "a revoked feed answers 404");
  await rita.screenshot({ path: join(artefacts, "workspace-schedule.png"), fullPage: true });

  // ---- a narrow window
  log("narrow window");
  const narrow = await signedIn("RELEASE_MANAGER", { width: 390, height: 844 });
  await narrow.locator("tr[data-release-id]").first().waitFor();
  const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the list fits a narrow window (overflow ${overflow}px)`);
  await narrow.screenshot({ path: join(artefacts, "workspace-list-narrow.png") });

  // ---- a lost connection: a banner, then back by itself
  log("lost connection");
  await narrow.context().setOffline(true);
  await narrow.locator("tr[data-release-id]").first().click();
  await narrow.getByRole("alert").filter({ hasText: "connection to the server is lost" }).waitFor();
  await narrow.context().setOffline(false);
  await narrow.getByRole("alert").filter({ hasText: "connection to the server is lost" }).waitFor({ state: "detached" });
  await narrow.locator("#release-title").waitFor();

  // ---- signing out forgets the token
  log("sign out");
  await narrow.getByRole("button", { name: "Sign out", exact: true }).click();
  await narrow.getByLabel("API token", { exact: true }).waitFor();
  assert.equal(await narrow.evaluate(() => sessionStorage.length), 0, "nothing is left in sessionStorage");
  await narrow.reload();
  await narrow.getByLabel("API token", { exact: true }).waitFor();

  // ---- a revoked token ends the session with a sentence
  log("revoked token");
  const tokenList = await api(tokens.ADMINISTRATOR, "{ apiTokens { id name person { email } } }");
  const beaToken = tokenList.apiTokens.find((t) => t.person?.email === "bea.board@example.com");
  await api(tokens.ADMINISTRATOR, "mutation($id: ID!) { revokeApiToken(id: $id) { id } }", { id: beaToken.id });
  await bea.reload();
  await bea.getByRole("alert").filter({ hasText: "no longer valid" }).waitFor();

  assert.deepEqual(problems, [], "no page errors, console errors or foreign requests");
  console.log("workspace in chromium: ok");
} finally {
  await browser.close();
}
