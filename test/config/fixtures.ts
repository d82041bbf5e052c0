import { Environment, type EnvironmentInput } from "../../src/model/environment.ts";
import sandbox from "../../stacks/sandbox.ts";

/** A fresh, deep copy of the sandbox declaration for a test to break one thing in. */
export function sandboxInput(): EnvironmentInput {
  return structuredClone(sandbox);
}

/** Parses with the schema (defaults filled); throws if the fixture itself is not schema-valid. */
export function parsed(input: EnvironmentInput): Environment {
  return Environment.parse(input);
}
