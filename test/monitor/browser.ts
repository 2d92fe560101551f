/** Headless Chromium for page tests (Debian's chromium via playwright-core), or undefined when absent. */
import * as fs from "node:fs";
import type { Browser, Page } from "playwright-core";

export interface BrowserSession {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

const CANDIDATES = [process.env.BEAMLINE_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];

export async function openBrowser(): Promise<BrowserSession | undefined> {
  const executablePath = CANDIDATES.find((p) => p !== undefined && p !== "" && fs.existsSync(p));
  if (executablePath === undefined) return undefined;
  const { chromium } = await import("playwright-core");
  // No background networking: the machine's network is closed and Chromium must not try. Every
  // host name but the loopback address resolves to nothing, so no request can leave the machine.
  const browser: Browser = await chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
  const pages: Page[] = [];
  return {
    async newPage() {
      const page = await browser.newPage();
      pages.push(page);
      return page;
    },
    async close() {
      await browser.close();
    },
  };
}
