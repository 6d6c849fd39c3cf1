// The baseline for the GET /me benchmark: a bare Koa hello-world in a process of its own, started
// the same way as the appliance, so both compete with the load generator on equal terms.
import Koa from "koa";
import { createServer } from "node:http";

const app = new Koa();
app.use((ctx) => {
  ctx.body = { hello: "world" };
});
createServer(app.callback()).listen(Number(process.env.PORT), "127.0.0.1", () => process.stdout.write("ready\n"));
