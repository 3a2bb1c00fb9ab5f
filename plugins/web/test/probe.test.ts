import { it } from "vitest";
import { startInstance } from "../../../core/test/helpers/instance.js";

it("probe", async () => {
  const instance = await startInstance();
  const c = instance.client();
  const show = async (label: string, p: Promise<any>) => { const r = await p; console.log(label, r.status, JSON.stringify(r.body).slice(0, 300)); };
  await show("form", c.post("/web/chats/c1/messages", "text=hi", { "content-type": "application/x-www-form-urlencoded" }));
  await show("xml", c.post("/web/chats/c1/messages", "<a/>", { "content-type": "application/xml" }));
  await show("plain json", c.post("/web/chats/c1/messages", '{"text":"hi"}', { "content-type": "text/plain" }));
  await show("json charset", c.post("/web/chats/c1/messages", '{"text":"hi"}', { "content-type": "application/json; charset=utf-8" }));
  await instance.dispose();
});
