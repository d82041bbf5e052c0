/**
 * The dynamic provider of database objects: one provider for every kind, parameterised by the
 * `kind` input, because every kind has the same contract (src/db/providers/types.ts) and the
 * runner's planner and apply already handle each kind's rules. Ten copies would differ only in a
 * string.
 *
 * Pulumi serialises a dynamic provider (`runtime.serializeFunction`) and evaluates the text in its
 * own provider process: plain Node, CommonJS, no tsx, no access to this module's imports. So the
 * provider captures nothing but two strings (where operations.ts and tsx's loader are) and loads
 * the real code there at first use, through tsx, once per process. Capturing the imported
 * modules instead would serialise the database code (and whatever it holds) into Pulumi's state.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as Operations from "./operations.ts";

export const OPERATIONS_URL = new URL("./operations.ts", import.meta.url).href;
/** tsx's ESM API, resolved here (its CommonJS build cannot register its loader from there). */
export const TSX_API_URL = import.meta.resolve("tsx/esm/api");

type OperationsModule = typeof Operations;

/**
 * Loads operations.ts once per process. Runs in Pulumi's provider process, so it refers only to
 * globals; `import()` goes through `new Function` because test runners rewrite a literal
 * `import()` into a helper that does not exist there.
 */
function loadOperations(operationsUrl: string, tsxApiUrl: string): Promise<OperationsModule> {
  const cache = globalThis as unknown as Record<symbol, Promise<OperationsModule> | undefined>;
  const key = Symbol.for(`ebill-ops.pulumi.operations ${operationsUrl}`);
  let loaded = cache[key];
  if (!loaded) {
    const dynamicImport = new Function("url", "return import(url)") as (url: string) => Promise<unknown>;
    loaded = (
      dynamicImport(tsxApiUrl) as Promise<{ tsImport(url: string, parent: string): Promise<unknown> }>
    )
      .then((tsx) => tsx.tsImport(operationsUrl, operationsUrl))
      .then((module) => module as OperationsModule);
    loaded.catch(() => {
      cache[key] = undefined;
    });
    cache[key] = loaded;
  }
  return loaded;
}

export function databaseObjectProvider(
  operationsUrl: string = OPERATIONS_URL,
  tsxApiUrl: string = TSX_API_URL,
): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs) {
      return (await loadOperations(operationsUrl, tsxApiUrl)).create(inputs);
    },
    async read(id, props) {
      return (await loadOperations(operationsUrl, tsxApiUrl)).read(id, props);
    },
    async update(id, olds, news) {
      return (await loadOperations(operationsUrl, tsxApiUrl)).update(id, olds, news);
    },
    async delete(id, props) {
      return (await loadOperations(operationsUrl, tsxApiUrl)).remove(id, props);
    },
    async diff(_id, olds, news) {
      return (await loadOperations(operationsUrl, tsxApiUrl)).diff(olds, news);
    },
  };
}
