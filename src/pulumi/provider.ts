/**
 * The dynamic provider of database objects: one provider for every kind, parameterised by the
 * `kind` input, because every kind has the same contract (src/db/providers/types.ts) and the
 * runner's planner and apply already handle each kind's rules. Ten copies would differ only in a
 * string.
 *
 * Pulumi serialises a dynamic provider (`runtime.serializeFunction`) and evaluates the text in its
 * own provider process: plain Node, CommonJS, no tsx, no access to this module's imports. So the
 * provider captures nothing but a few strings (where operations.ts and tsx's API are) and loads
 * the real code there at first use, through tsx, once per process. Capturing the imported
 * modules instead would serialise the database code (and whatever it holds) into Pulumi's state.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type * as pulumi from "@pulumi/pulumi";
import type * as Operations from "./operations.ts";

/**
 * Where the provider finds its code, as paths relative to the checkout. Pulumi keeps the
 * serialised provider in its state and uses the OLD text for read and delete, so a state written
 * from another checkout (another CI runner's path) must still work: the captured root is used
 * when it exists, else the provider process's working directory (the project root).
 */
export interface CodeLocation {
  root: string;
  operations: string;
  /**
   * tsx's ESM API. Its CommonJS build cannot register tsx's loader, and the provider process has
   * no usable `import()` (test runners rewrite a literal one; `new Function("return import(x)")`
   * has no loader inside them): it is `require`d, which Node 20.19+ does for ES modules.
   */
  tsxApi: string;
}

const ROOT = path.resolve(import.meta.dirname, "../..");
export const CODE_LOCATION: CodeLocation = {
  root: ROOT,
  operations: path.relative(ROOT, fileURLToPath(new URL("./operations.ts", import.meta.url))),
  tsxApi: path.relative(ROOT, fileURLToPath(import.meta.resolve("tsx/esm/api"))),
};

type OperationsModule = typeof Operations;

/**
 * Loads operations.ts once per process (tsImport gives a fresh module graph per call, and the
 * operations' one-at-a-time queue must be one). Runs in Pulumi's provider process, so it refers
 * to nothing but its argument and globals.
 */
function loadOperations(where: CodeLocation): Promise<OperationsModule> {
  const cache = globalThis as unknown as Record<symbol, Promise<OperationsModule> | undefined>;
  const key = Symbol.for(`ebill-ops.pulumi.operations ${where.operations}`);
  let loaded = cache[key];
  if (!loaded) {
    const { existsSync } = process.getBuiltinModule("node:fs");
    const { join } = process.getBuiltinModule("node:path");
    const { pathToFileURL } = process.getBuiltinModule("node:url");
    const { createRequire } = process.getBuiltinModule("node:module");
    const root = existsSync(join(where.root, where.operations)) ? where.root : process.cwd();
    const operations = pathToFileURL(join(root, where.operations)).href;
    const tsxApi = join(root, where.tsxApi);
    const tsx = createRequire(tsxApi)(tsxApi) as {
      tsImport(url: string, parent: string): Promise<OperationsModule>;
    };
    loaded = tsx.tsImport(operations, operations);
    loaded.catch(() => {
      cache[key] = undefined;
    });
    cache[key] = loaded;
  }
  return loaded;
}

export function databaseObjectProvider(where: CodeLocation = CODE_LOCATION): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs) {
      return (await loadOperations(where)).create(inputs);
    },
    async read(id, props) {
      return (await loadOperations(where)).read(id, props);
    },
    async update(id, olds, news) {
      return (await loadOperations(where)).update(id, olds, news);
    },
    async delete(id, props) {
      return (await loadOperations(where)).remove(id, props);
    },
    async diff(_id, olds, news) {
      return (await loadOperations(where)).diff(olds, news);
    },
  };
}
