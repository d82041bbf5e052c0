/**
 * The dynamic provider of database objects: one provider for every kind, parameterised by the
 * `kind` input, because every kind has the same contract (src/db/providers/types.ts) and the
 * runner's planner and apply already handle each kind's rules. Ten copies would differ only in a
 * string.
 *
 * Pulumi serialises a dynamic provider (`runtime.serializeFunction`) and evaluates the text in its
 * own provider process: plain Node, CommonJS, no tsx, no access to this module's imports. So the
 * provider captures nothing but two strings (where operations.ts and tsx's API are) and loads
 * the real code there at first use, through tsx, once per process. Capturing the imported
 * modules instead would serialise the database code (and whatever it holds) into Pulumi's state.
 */
import { fileURLToPath } from "node:url";
import type * as pulumi from "@pulumi/pulumi";
import type * as Operations from "./operations.ts";

export const OPERATIONS_URL = new URL("./operations.ts", import.meta.url).href;
/**
 * tsx's ESM API as a file, resolved here. Its CommonJS build cannot register tsx's loader, and the
 * provider process has no `import()` to reach the ESM build (a literal `import()` is rewritten by
 * test runners; `new Function("return import(x)")` has no loader inside them): it is `require`d,
 * which Node 20.19+ does for ES modules.
 */
export const TSX_API_FILE = fileURLToPath(import.meta.resolve("tsx/esm/api"));

type OperationsModule = typeof Operations;

/**
 * Loads operations.ts once per process (tsImport gives a fresh module graph per call, and the
 * operations' one-at-a-time queue must be one). Runs in Pulumi's provider process, so it refers
 * to nothing but its arguments and globals.
 */
function loadOperations(operationsUrl: string, tsxApiFile: string): Promise<OperationsModule> {
  const cache = globalThis as unknown as Record<symbol, Promise<OperationsModule> | undefined>;
  const key = Symbol.for(`ebill-ops.pulumi.operations ${operationsUrl}`);
  let loaded = cache[key];
  if (!loaded) {
    const { createRequire } = process.getBuiltinModule("node:module");
    const tsx = createRequire(tsxApiFile)(tsxApiFile) as {
      tsImport(url: string, parent: string): Promise<OperationsModule>;
    };
    loaded = tsx.tsImport(operationsUrl, operationsUrl);
    loaded.catch(() => {
      cache[key] = undefined;
    });
    cache[key] = loaded;
  }
  return loaded;
}

export function databaseObjectProvider(
  operationsUrl: string = OPERATIONS_URL,
  tsxApiFile: string = TSX_API_FILE,
): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs) {
      return (await loadOperations(operationsUrl, tsxApiFile)).create(inputs);
    },
    async read(id, props) {
      return (await loadOperations(operationsUrl, tsxApiFile)).read(id, props);
    },
    async update(id, olds, news) {
      return (await loadOperations(operationsUrl, tsxApiFile)).update(id, olds, news);
    },
    async delete(id, props) {
      return (await loadOperations(operationsUrl, tsxApiFile)).remove(id, props);
    },
    async diff(_id, olds, news) {
      return (await loadOperations(operationsUrl, tsxApiFile)).diff(olds, news);
    },
  };
}
