/**
 * Reading the files of a stack without trusting them: the stack file itself, and for a `.ts`
 * stack every file it imports.
 *
 * The tool may run as root, and in a pull request the stack files come from a branch. So a file is
 * read only when it is a regular file (a directory, a FIFO or /dev/zero would hang or mislead),
 * no larger than what a real stack needs, and really inside the stack's project or this tool's
 * repository, outside hidden folders: a symbolic link `stacks/x.yaml -> ../.secrets.env` or an
 * `import key from "/root/.docker/config.json"` is refused before a byte of it is read, so no
 * secret can turn up in a declaration or an error message.
 */
import { constants } from "node:fs";
import { open, realpath, stat } from "node:fs/promises";
import path from "node:path";

/**
 * A stack with its imports is at most this large. The largest real hospital catalogs (100,000
 * 收费项目对照 rows, 20,000 stock ranges) take about 20 MB; a file beyond this is not a stack.
 */
export const MAX_STACK_BYTES = 32 * 1024 * 1024;

/** A file that cannot be read as part of a stack; the message says what it is and what to do. */
export class StackFileError extends Error {}

/** This tool's repository: stacks import its model, and its installed packages are trusted. */
export const TOOL_ROOT = path.resolve(import.meta.dirname, "../..");

/** A path as the user knows it: relative to the working directory when inside it. */
export function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * The folders whose files a stack may read: this tool's repository (stacks import its model) and
 * the stack's own project, the nearest folder above it holding a package.json (a checkout of
 * another commit), or else the stack's own folder.
 */
export async function allowedRoots(stackFile: string): Promise<string[]> {
  const roots = new Set<string>([await realpath(TOOL_ROOT).catch(() => TOOL_ROOT)]);
  let project = path.dirname(path.resolve(stackFile));
  for (let dir = project; ; dir = path.dirname(dir)) {
    if (await stat(path.join(dir, "package.json")).catch(() => null)) {
      project = dir;
      break;
    }
    if (dir === path.dirname(dir)) break;
  }
  roots.add(await realpath(project).catch(() => project));
  return [...roots];
}

/**
 * Throws unless `real` (a resolved path) lies inside one of `roots` and in no hidden folder there
 * (`.git`, `.sandbox`, `.secrets.env`, `.cache` hold what a stack must never read).
 */
export function assertInside(real: string, roots: readonly string[], subject: string): void {
  for (const root of roots) {
    const relative = path.relative(root, real);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) continue;
    const hidden = relative.split(path.sep).find((part) => part.startsWith("."));
    if (hidden)
      throw new StackFileError(
        `${subject} is inside the hidden '${hidden}' (${real}); a stack may not read hidden files or folders`,
      );
    return;
  }
  throw new StackFileError(
    `${subject} resolves to ${real}, outside the stack's project and this repository; a stack reads only its own files (is it a symbolic link?)`,
  );
}

/** What a special file is, in words, or null for a regular file. */
function specialKind(info: {
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string | null {
  if (info.isFile()) return null;
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a named pipe (FIFO)";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * Reads a regular file of at most `limit` bytes. `subject` names it in messages ("the file" for
 * the stack itself, the path of an imported file otherwise). Opened without blocking and checked on the open
 * descriptor, so a FIFO or a device swapped in after a check is still refused, and a file that
 * grows while read is cut at the limit and refused.
 */
export async function readRegularFile(
  file: string,
  subject: string,
  limit = MAX_STACK_BYTES,
  options: { noFollow?: boolean } = {},
): Promise<Buffer> {
  let handle;
  try {
    const noFollow = options.noFollow ? constants.O_NOFOLLOW : 0;
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | noFollow);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new StackFileError(`${subject} is a symbolic link; it is not followed`);
    if (code === "ENOENT") throw new StackFileError(`${subject}: file not found`);
    if (code === "EACCES") throw new StackFileError(`${subject}: permission denied`);
    throw new StackFileError(`${subject}: cannot open (${code ?? String(error)})`);
  }
  try {
    const info = await handle.stat();
    const kind = specialKind(info);
    if (kind)
      throw new StackFileError(
        `${subject} is ${kind}, not a stack file; give the .ts, .json or .yaml file of the stack`,
      );
    if (info.size > limit)
      throw new StackFileError(
        `${subject} is ${megabytes(info.size)}; a stack with its imports is at most ${megabytes(limit)}. Is this the right file?`,
      );
    const buffer = Buffer.allocUnsafe(Math.min(info.size, limit) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limit)
        throw new StackFileError(
          `${subject} grew beyond ${megabytes(limit)} while it was read; a stack with its imports is at most that`,
        );
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a stack's own file (`.json`, `.yaml`) or entry (`.ts`): resolved, kept inside its project,
 * regular, size-capped.
 */
export async function readStackEntry(file: string): Promise<{ real: string; bytes: Buffer }> {
  const real = await realpath(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT")
      throw new StackFileError("file not found; give a stack name under stacks/ or a path");
    throw new StackFileError(`cannot resolve the path (${error.code ?? String(error)})`);
  });
  assertInside(real, await allowedRoots(file), "this path");
  return { real, bytes: await readRegularFile(real, "this path") };
}
