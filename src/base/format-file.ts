/**
 * Files the tool writes into the repository (a year's stack file, the carry-over's records, an
 * inspection) are formatted as the repository formats its own (its prettier settings), so
 * committing them keeps `format:check` green and a rerun that changes nothing shows no diff.
 */

/** `text` as prettier would write `file` here (the parser follows the file's extension). */
export async function formatLikeRepository(file: string, text: string): Promise<string> {
  // Loaded here, not at the top: prettier takes half a second to load and only the commands that
  // write files into the repository need it.
  const { format, resolveConfig } = await import("prettier");
  const options = (await resolveConfig(file)) ?? {};
  return format(text, { ...options, filepath: file });
}
