// Prints a stack's fiscal year and declared years as JSON (see print-generated.ts for why a child).
import { loadStack } from "../../src/config/load.ts";
import { now } from "../../src/base/time.ts";

const result = await loadStack(process.argv[2]!, { today: now() });
if (!result.ok) {
  process.stderr.write(JSON.stringify(result.issues) + "\n");
  process.exit(1);
}
const years = [...new Set((result.env.billTypes ?? []).map((b) => b.year))].sort();
process.stdout.write(JSON.stringify({ fiscalYear: result.env.hospital.fiscalYear, years }) + "\n");
