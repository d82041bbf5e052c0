/** The year-end banner (rollover/banner.ts) for a terminal, for GitHub, and as an Actions annotation. */
import type { YearBanner, YearBannerLevel } from "../rollover/banner.ts";
import type { Paint } from "./format.ts";

const WHY_NOT_BLOCKING =
  "This does not fail validation or block unrelated changes; 'rollover check' is the gate (docs/year-end.md).";

/** For a terminal or a CI log: a framed block that stands out from the lines around it. */
export function renderYearBannerText(banner: YearBanner, paint?: Paint): string {
  const colour =
    banner.level === "urgent" ? paint?.red : banner.level === "warning" ? paint?.yellow : paint?.bold;
  const mark = banner.level === "urgent" ? "!!" : banner.level === "warning" ? "! " : "i ";
  const tag = banner.level.toUpperCase();
  const lines = [
    `${tag}: ${banner.headline}`,
    ...banner.missing.map((m) => `  missing ${m}`),
    ...banner.advice.map((a) => `  -> ${a}`),
    ...(banner.level === "notice" ? [] : [`  ${WHY_NOT_BLOCKING}`]),
  ];
  const framed = lines.map((l) => `${mark} ${l}`).join("\n");
  return (colour ? colour(framed) : framed) + "\n";
}

const ALERT: Record<YearBannerLevel, string> = { notice: "NOTE", warning: "WARNING", urgent: "CAUTION" };

/** For GitHub (pull-request comment, issues): one alert block per banner. */
export function renderYearBannerMarkdown(banner: YearBanner): string {
  const lines = [
    `> [!${ALERT[banner.level]}]`,
    `> **${banner.headline}**`,
    ...(banner.missing.length > 0 ? [">", ...banner.missing.map((m) => `> - missing ${m}`)] : []),
    ">",
    ...banner.advice.map((a) => `> ${a}.`),
    ...(banner.level === "notice" ? [] : [">", `> <sub>${WHY_NOT_BLOCKING}</sub>`]),
  ];
  return lines.join("\n") + "\n";
}

/** A GitHub Actions annotation, so the banner shows on the pull request's checks page too. */
export function yearBannerAnnotation(banner: YearBanner): string {
  const escape = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const kind = banner.level === "notice" ? "notice" : "warning";
  const body = [banner.headline, ...banner.missing.map((m) => `missing ${m}`), ...banner.advice].join("\n");
  return `::${kind} title=${escape(`年结 ${banner.year} (${banner.stack})`).replace(/[:,]/g, " ")}::${escape(body)}\n`;
}
