/**
 * The one wrapper around the headless browser: Debian's Chromium (/usr/bin/chromium, or
 * $EBILL_OPS_CHROMIUM) driven by playwright-core. Reports the hospital reads (carry-over today,
 * inspections later) are self-contained HTML files; this module opens one, says what went wrong in
 * it (console errors, failed loads), measures elements, and prints it to PDF.
 *
 * Nothing is downloaded: playwright-core ships no browser and we never ask it for one. Each session
 * uses a fresh profile directory (removed afterwards) and the flags that keep Chromium from
 * reaching out on its own (background networking, component updates, sync); the page itself may
 * load only file: and data: URLs, anything else is blocked and reported as an error.
 */
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { outputSync } from "./exec.ts";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** The browser to drive, or why there is none (with the package to install). */
export function findChromium(): { path: string } | { missing: string } {
  const candidate = process.env.EBILL_OPS_CHROMIUM || DEFAULT_CHROMIUM;
  try {
    accessSync(candidate, constants.X_OK);
    return { path: candidate };
  } catch {
    return {
      missing: `no Chromium at ${candidate}: install it (Debian: apt-get install chromium fonts-noto-cjk) or set EBILL_OPS_CHROMIUM to its path`,
    };
  }
}

/**
 * Whether a font with Chinese glyphs is installed (fontconfig's view, which Chromium uses on
 * Linux). Without one, Chinese renders as boxes in the page and in the PDF. Null when it cannot be
 * told (no fc-list).
 */
export function chineseFontInstalled(): boolean | null {
  try {
    return outputSync("fc-list", [":lang=zh", "family"]).trim() !== "";
  } catch {
    return null;
  }
}

/**
 * Fonts a Windows PC in a hospital has (微软雅黑, 宋体), then what a Mac or Linux has; on Linux the
 * Noto CJK fonts (Debian: fonts-noto-cjk) must be installed or Chinese prints as boxes. Every report the browser prints uses it.
 */
export const REPORT_FONT_STACK = [
  '"Microsoft YaHei"',
  '"微软雅黑"',
  "SimSun",
  '"宋体"',
  '"PingFang SC"',
  '"Noto Sans CJK SC"',
  '"Noto Serif CJK SC"',
  '"WenQuanYi Micro Hei"',
  "sans-serif",
].join(", ");

export const MISSING_CHINESE_FONT =
  "no font with Chinese glyphs is installed, so Chinese prints as boxes: apt-get install fonts-noto-cjk";

const FLAGS = [
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--no-default-browser-check",
];

export interface PageSession {
  page: Page;
  /** Console errors, uncaught exceptions and blocked or failed loads, in order. */
  errors: string[];
}

/**
 * Opens `htmlFile` in a fresh headless Chromium and runs `use` on it; the browser and its profile
 * are gone afterwards, whatever happens.
 */
export async function withPage<T>(
  htmlFile: string,
  use: (session: PageSession) => Promise<T>,
  options: { timeoutMs?: number; viewport?: { width: number; height: number } } = {},
): Promise<T> {
  const found = findChromium();
  if ("missing" in found) throw new Error(found.missing);
  const profile = await mkdtemp(path.join(os.tmpdir(), "ebill-chromium-"));
  let context: BrowserContext | undefined;
  try {
    // Loaded here, not at the top: playwright-core takes over a second to load and only the
    // commands that render a report open a browser.
    const { chromium } = await import("playwright-core");
    context = await chromium.launchPersistentContext(profile, {
      executablePath: found.path,
      headless: true,
      // Chromium refuses to run as root with its sandbox; elsewhere keep it.
      chromiumSandbox: process.getuid?.() !== 0,
      args: FLAGS,
      timeout: options.timeoutMs ?? 30_000,
      ...(options.viewport ? { viewport: options.viewport } : {}),
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    // A report is self-contained: anything it tries to fetch from elsewhere is a defect, and is
    // never actually fetched.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
      errors.push(`blocked a load from outside the file: ${url}`);
      return route.abort();
    });
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
    page.on("requestfailed", (request) => {
      if (request.url().startsWith("file:"))
        errors.push(`failed to load ${request.url()}: ${request.failure()?.errorText ?? ""}`);
    });
    await page.goto(pathToFileURL(path.resolve(htmlFile)).href, {
      waitUntil: "load",
      timeout: options.timeoutMs ?? 30_000,
    });
    return await use({ page, errors });
  } finally {
    await context?.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
  }
}

/** Opens the page and reports what went wrong in it (empty = clean). */
export function pageErrors(htmlFile: string): Promise<string[]> {
  return withPage(htmlFile, async ({ errors }) => [...errors]);
}

export interface Box {
  count: number;
  /** Size of the first match, CSS pixels; zero when it is not rendered. */
  width: number;
  height: number;
}

/**
 * The printable width of an A4 landscape page with 12 mm margins (the carry-over report's @page),
 * in CSS pixels: lay a page out this wide to see whether it fits on paper.
 */
export const A4_LANDSCAPE_PRINTABLE = { width: Math.floor(((297 - 24) / 25.4) * 96), height: 700 };

/** Sizes of elements (first match of each selector), as laid out on screen or for print. */
export function measure(
  htmlFile: string,
  selectors: readonly string[],
  options: { media?: "screen" | "print"; viewport?: { width: number; height: number } } = {},
): Promise<Record<string, Box>> {
  return withPage(
    htmlFile,
    async ({ page }) => {
      await page.emulateMedia({ media: options.media ?? "screen" });
      const boxes: Record<string, Box> = {};
      for (const selector of selectors) {
        const all = page.locator(selector);
        const count = await all.count();
        const box = count > 0 ? await all.first().boundingBox() : null;
        boxes[selector] = { count, width: box?.width ?? 0, height: box?.height ?? 0 };
      }
      return boxes;
    },
    options,
  );
}

export interface PdfResult {
  file: string;
  bytes: number;
  /** What went wrong in the page while it was printed (console errors, blocked loads). */
  errors: string[];
}

/**
 * Prints a self-contained HTML file to PDF with the page's own @page size (A4 otherwise) and its
 * backgrounds. The page's errors come back with it, so a caller can refuse a broken report.
 */
export async function htmlToPdf(htmlFile: string, pdfFile: string): Promise<PdfResult> {
  const errors = await withPage(htmlFile, async ({ page, errors }) => {
    await page.emulateMedia({ media: "print" });
    await page.pdf({ path: pdfFile, format: "A4", printBackground: true, preferCSSPageSize: true });
    return [...errors];
  });
  return { file: pdfFile, bytes: (await stat(pdfFile)).size, errors };
}
