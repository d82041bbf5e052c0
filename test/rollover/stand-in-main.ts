/** Runs the signed stand-in at `<host> <port>` (started inside a test host's namespace). */
import { signedStandIn } from "./stand-ins.ts";

const [host, port] = process.argv.slice(2);
const key = process.env.STAND_IN_APP_KEY;
if (!host || !port || !key) throw new Error("usage: STAND_IN_APP_KEY=... stand-in-main.ts <host> <port>");
const standIn = await signedStandIn(key, { host, port: Number(port) });
process.stdout.write(`listening ${standIn.url}\n`);
