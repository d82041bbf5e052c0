/**
 * The interfaces of a sandbox stack, run inside the app test host's namespace (hosts.test.ts): the
 * fiscal platform speaking the product's signed protocol (test/rollover/stand-ins.ts) on 9091, and
 * HIS and push answering plain HTTP 200 on 9090 and 9092, as they do on a hospital's intranet.
 * Usage: STAND_IN_APP_KEY=... interfaces-stand-in.ts <address>
 */
import http from "node:http";
import { signedStandIn } from "../rollover/stand-ins.ts";

const [address] = process.argv.slice(2);
const key = process.env.STAND_IN_APP_KEY;
if (!address || !key) throw new Error("usage: STAND_IN_APP_KEY=... interfaces-stand-in.ts <address>");
await signedStandIn(key, { host: address, port: 9091 });
for (const port of [9090, 9092])
  await new Promise<void>((resolve) =>
    http
      .createServer((_request, response) =>
        response.writeHead(200, { "content-type": "text/plain" }).end("ok"),
      )
      .listen(port, address, resolve),
  );
process.stdout.write("listening\n");
