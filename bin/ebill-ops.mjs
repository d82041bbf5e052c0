#!/usr/bin/env node
// Entry point: register the TypeScript loader (stacks are .ts files too), then run the CLI.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
