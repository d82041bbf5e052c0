/**
 * The headless-browser module against Debian's real Chromium: it sees what is wrong in a page,
 * keeps the page from reaching anything outside its file, measures, and prints to PDF.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chineseFontInstalled, htmlToPdf, measure, pageErrors } from "../../src/base/browser.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-browser-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// CI installs chromium and fonts-noto-cjk (.ci/debian-packages.txt): no skipping when they are missing.
describe("headless browser", () => {
  it("reports console errors, uncaught exceptions and loads from outside the file (blocked, never sent)", async () => {
    const page = path.join(dir, "broken.html");
    await writeFile(
      page,
      `<!doctype html><html><head><meta charset="utf-8"><title>x</title></head><body>
<img src="http://192.0.2.1/logo.png">
<script>console.error("report broken"); throw new Error("boom");</script></body></html>`,
    );
    const errors = await pageErrors(page);
    expect(errors).toEqual(
      expect.arrayContaining([
        "console: report broken",
        expect.stringMatching(/^uncaught: boom/),
        "blocked a load from outside the file: http://192.0.2.1/logo.png",
      ]),
    );
  });

  it("opens a clean page without errors, measures it and prints it to a PDF", async () => {
    const page = path.join(dir, "clean.html");
    await writeFile(
      page,
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>结转</title></head>
<body><table id="t" style="width:600px"><tr><td>结转报告</td></tr></table></body></html>`,
    );
    expect(await pageErrors(page)).toEqual([]);
    const boxes = await measure(page, ["#t", "#absent"]);
    expect(boxes["#t"]).toMatchObject({ count: 1, width: 600 });
    expect(boxes["#absent"]).toEqual({ count: 0, width: 0, height: 0 });
    const pdf = await htmlToPdf(page, path.join(dir, "clean.pdf"));
    expect(pdf.errors).toEqual([]);
    const bytes = await readFile(pdf.file);
    expect(bytes.length).toBe(pdf.bytes);
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  });

  it("has a font with Chinese glyphs (fonts-noto-cjk), without which Chinese prints as boxes", () => {
    expect(chineseFontInstalled()).toBe(true);
  });
});
