// End-to-end test of llmpipe's chat page in headless Chromium, driven by
// playwright-core (never a downloaded browser: Debian's /usr/bin/chromium).
//
// Environment:
//   E2E_URL             the page's URL (required), e.g. http://127.0.0.1:8080/
//   E2E_SCREENSHOT      where to save a PNG of the page at the end (required)
//   LLMPIPE_NODE_MODULES a node_modules folder holding playwright-core (required)
//   E2E_CHROMIUM        the browser (default /usr/bin/chromium)
//   E2E_MESSAGES        JSON list of user messages to send in turn (default ["Hello"])
//   E2E_EXPECT          JSON list of the exact replies expected, one per message;
//                       absent: any non-empty reply will do (a real model)
//   E2E_SYSTEM          a system prompt to type into the settings (optional)
//   E2E_TEMPERATURE     a temperature to type into the settings (optional)
//   E2E_MAX_TOKENS      a max_tokens to type into the settings (optional)
//   E2E_STOP_MESSAGE    a message whose reply is long enough to stop with the
//                       Stop button once it starts (optional)
//   E2E_ERROR_MESSAGE   a message the server answers with an error, and
//   E2E_ERROR_TEXT      the error text the page must then show (both optional)
//   E2E_TIMEOUT_MS      how long to wait for each reply (default 30000)
// It exits 0 when every check passed, 1 (with the reason on stderr) otherwise.
import { createRequire } from "node:module";
import path from "node:path";

const env = process.env;
const need = (k) => { if (!env[k]) { console.error(`e2e: ${k} is not set`); process.exit(2); } return env[k]; };
const url = need("E2E_URL"), shot = need("E2E_SCREENSHOT");
const require = createRequire(path.join(need("LLMPIPE_NODE_MODULES"), "_"));
const { chromium } = require("playwright-core");
const messages = JSON.parse(env.E2E_MESSAGES || '["Hello"]');
const expect = env.E2E_EXPECT ? JSON.parse(env.E2E_EXPECT) : null;
const timeout = Number(env.E2E_TIMEOUT_MS || 30000);

const fail = (msg) => { throw new Error(msg); };
const browser = await chromium.launch({
  executablePath: env.E2E_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let page;
try {
  page = await (await browser.newContext({ viewport: { width: 1100, height: 720 } })).newPage();
  const origin = new URL(url).origin, outside = [], consoleErrors = [];
  page.on("request", (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) outside.push(r.url()); });
  // An HTTP error status is logged as "Failed to load resource"; the error
  // test provokes one on purpose, so only other errors count.
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  await page.goto(url, { waitUntil: "load" });
  if ((await page.title()) !== "llmpipe chat") fail(`title is ${JSON.stringify(await page.title())}`);
  // Controls are found by their accessible names: the labels must work.
  const message = page.getByLabel("Message", { exact: true });
  if (env.E2E_SYSTEM) await page.getByLabel("System prompt").fill(env.E2E_SYSTEM);
  if (env.E2E_TEMPERATURE) await page.getByLabel("Temperature").fill(env.E2E_TEMPERATURE);
  if (env.E2E_MAX_TOKENS) await page.getByLabel("Max tokens").fill(env.E2E_MAX_TOKENS);

  const replies = page.locator("#log li.msg.assistant");
  for (const [i, text] of messages.entries()) {
    await message.fill(text);
    await message.press("Enter"); // Enter sends
    const reply = replies.nth(i);
    await reply.waitFor({ timeout });
    // Streaming: the reply is aria-busy until the stream ends.
    await page.waitForFunction((el) => el.getAttribute("aria-busy") === "false", await reply.elementHandle(), { timeout });
    const got = await reply.locator(".text").textContent();
    if (expect) {
      if (got !== expect[i]) fail(`reply ${i + 1}: got ${JSON.stringify(got)}, want ${JSON.stringify(expect[i])}`);
    } else if (got.trim() === "") fail(`reply ${i + 1} is empty`);
    const stats = await reply.locator(".stats").textContent();
    if (!/^\d+ tokens? · \d+(\.\d+)? tok\/s/.test(stats)) fail(`reply ${i + 1}: stats ${JSON.stringify(stats)} show no tokens/s`);
    console.log(`reply ${i + 1}: ${JSON.stringify(got)} [${stats}]`);
  }

  if (env.E2E_STOP_MESSAGE) {
    // A long reply, stopped as soon as it starts: the text so far stays,
    // marked as stopped, and the page can send again.
    await message.fill(env.E2E_STOP_MESSAGE);
    await message.press("Enter");
    const reply = replies.nth(messages.length);
    await reply.locator(".text").filter({ hasText: /\S/ }).waitFor({ timeout });
    const clicked = await page.getByRole("button", { name: "Stop" }).click({ timeout: 2000 }).then(() => true, () => false);
    await page.waitForFunction((el) => el.getAttribute("aria-busy") === "false", await reply.elementHandle(), { timeout });
    const stats = await reply.locator(".stats").textContent();
    if (!clicked) {
      // A fast server finished the reply before Stop could be clicked.
      console.log(`stop: the reply ended before Stop was clicked [${stats}]`);
    } else {
      if (!stats.endsWith("· stopped")) fail(`stopped reply: stats ${JSON.stringify(stats)} do not say stopped`);
      if (!(await page.getByRole("button", { name: "Send" }).isEnabled())) fail("Send stays disabled after Stop");
      if (await page.getByRole("button", { name: "Stop" }).isEnabled()) fail("Stop stays enabled after Stop");
      console.log(`stopped reply: ${JSON.stringify(await reply.locator(".text").textContent())} [${stats}]`);
    }
  }

  if (env.E2E_ERROR_MESSAGE) {
    await message.fill(env.E2E_ERROR_MESSAGE);
    await page.getByRole("button", { name: "Send" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor({ timeout });
    const text = await alert.textContent();
    if (!text.includes(env.E2E_ERROR_TEXT || "")) fail(`error shown: ${JSON.stringify(text)}, want it to hold ${JSON.stringify(env.E2E_ERROR_TEXT)}`);
    if ((await message.inputValue()) !== env.E2E_ERROR_MESSAGE) fail("the failed message was not given back to the input box");
    const kept = messages.length + (env.E2E_STOP_MESSAGE ? 1 : 0);
    if ((await replies.count()) !== kept) fail("a failed request left a reply in the log");
    console.log(`error shown: ${JSON.stringify(text)}`);
  }

  if (outside.length) fail(`the page fetched from outside its origin: ${outside.join(", ")}`);
  if (consoleErrors.length) fail(`console errors: ${consoleErrors.join("; ")}`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
} catch (e) {
  if (page) await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  console.error(`e2e: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
