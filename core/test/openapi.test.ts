/**
 * /docs: the OpenAPI description lists every route fastify serves, with every shipped
 * plugin loaded, and is a valid OpenAPI 3 document. The kernel is booted and its server
 * listens on 127.0.0.1, but channels are not started: the description depends only on
 * the routes, and the platform plugins would otherwise dial their platforms.
 */
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import SwaggerParser from "@apidevtools/swagger-parser";
import pino from "pino";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kernel, loadConfig } from "../src/index.js";
import { tempDir } from "./helpers/instance.js";

const PLUGINS_DIR = fileURLToPath(new URL("../../plugins/", import.meta.url));

/** Config for the plugins that need some; every address is on this machine and is never dialled. */
const PLUGIN_CONFIG: Record<string, Record<string, unknown>> = {
  "http-channel": { secret: "s".repeat(32) },
  telegram: { bots: [{ token: "600000001:test-token", mode: "webhook", secret: "w".repeat(16) }], apiRoot: "http://127.0.0.1:9", webhookUrl: "https://127.0.0.1:9" },
  discord: { bots: [{ token: "MTAwMDAwMDAwMDAwMDAwMDAx.GAAAAA.test-token-part-three" }], apiRoot: "http://127.0.0.1:9" },
  whatsapp: { authKey: "k".repeat(32), accounts: [{ phone: "491700000001" }] },
  "media-whisper": { transcription: { baseUrl: "http://127.0.0.1:9" } },
};

/** Routes /docs leaves out on purpose: Swagger UI's own page, description and files. */
const DOCS_ROUTE = /^\/docs(\/|$)/;

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  "x-arizuko-undescribed"?: boolean;
}
type Paths = Record<string, Record<string, Operation>>;

const shipped = readdirSync(PLUGINS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

let kernel: Kernel;
let url: string;
let dir: string;
let paths: Paths;
let document: Record<string, unknown>;

beforeAll(async () => {
  dir = tempDir();
  const plugins = shipped.map((name) => (PLUGIN_CONFIG[name] ? { use: name, config: PLUGIN_CONFIG[name] } : name));
  const file = join(dir, "arizuko.yaml");
  writeFileSync(file, stringify({ http: { port: 0 }, plugins }));
  const resolved = loadConfig({ file });
  kernel = await Kernel.boot(resolved, "server", pino({ level: "silent" }));
  url = await kernel.server.listen({ host: "127.0.0.1", port: 0 });

  const response = await fetch(`${url}/docs/json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as Record<string, unknown>;
  paths = document.paths as Paths;
}, 60_000);

afterAll(async () => {
  await kernel?.stop("test finished");
  rmSync(dir, { recursive: true, force: true });
});

/** fastify's `/a/:id` is OpenAPI's `/a/{id}`, and a trailing wildcard `*` is published as `{path}`. */
const openapiPath = (fastifyUrl: string) => fastifyUrl.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\*$/, "{path}");

describe("OpenAPI description at /docs/json", () => {
  it("loads every shipped plugin", () => {
    const failed = kernel.statuses.all().filter(([, status]) => status.state === "failed");
    expect(failed).toEqual([]);
    expect(shipped.length).toBeGreaterThanOrEqual(13);
  });

  it("lists every route fastify serves", () => {
    const served = kernel.servedRoutes().filter((route) => route.method !== "HEAD");
    const hidden = served.filter((route) => route.hidden).map((route) => route.url);
    expect(hidden.filter((routeUrl) => !DOCS_ROUTE.test(routeUrl))).toEqual([]);

    const missing = served
      .filter((route) => !route.hidden)
      .filter((route) => paths[openapiPath(route.url)]?.[route.method.toLowerCase()] === undefined)
      .map((route) => `${route.method} ${route.url}`);
    expect(missing).toEqual([]);
    // Plugin routes of web, dashboard, http-channel, route-table, scheduler and telegram, besides core's.
    expect(served.filter((route) => !route.hidden).length).toBeGreaterThan(60);
  });

  it("describes every operation with a summary and a tag", () => {
    const undescribed: string[] = [];
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        expect(operation.summary, name).toMatch(/\S/);
        expect(operation.summary, `${name} has only the default summary`).not.toBe(`${method.toUpperCase()} ${path}`);
        expect(operation.tags?.length, name).toBe(1);
        if (operation["x-arizuko-undescribed"]) undescribed.push(name);
      }
    }
    expect(undescribed).toEqual([]);
  });

  it("tags each plugin's routes with the plugin's name", () => {
    expect(paths["/health"]!.get!.tags).toEqual(["core"]);
    expect(paths["/web/chats/{chat}/messages"]!.post!.tags).toEqual(["web"]);
    expect(paths["/v1/messages"]!.post!.tags).toEqual(["http-channel"]);
    expect(paths["/admin/routes"]!.get!.tags).toEqual(["route-table"]);
  });

  it("marks operator routes with the operator credential", () => {
    const operation = paths["/admin/pairings"]!.get! as Operation & { security?: unknown; responses?: Record<string, unknown> };
    expect(operation.security).toEqual([{ operatorToken: [] }, { sessionCookie: [] }]);
    expect(Object.keys(operation.responses ?? {})).toEqual(expect.arrayContaining(["200", "401", "403"]));
  });

  it("states the 503 and Retry-After every write gets while arizuko stops", () => {
    type Responses = Record<string, { description: string; headers?: Record<string, unknown> }>;
    const responses = (path: string, method: "get" | "post") => (paths[path]![method] as Operation & { responses: Responses }).responses;
    for (const path of ["/web/chats/{chat}/messages", "/auth/token", "/v1/messages"]) {
      expect(responses(path, "post")["503"]!.description, path).toContain("503 ARZ_ERR_STOPPING with Retry-After");
      expect(Object.keys(responses(path, "post")["503"]!.headers ?? {}), path).toEqual(["retry-after"]);
    }
    expect(responses("/web/chats/{chat}/messages", "post")["503"]!.description).toMatch(/^The web channel is still starting/);
    expect(responses("/health", "get")["503"]?.description ?? "").not.toContain("ARZ_ERR_STOPPING");
  });

  it("names a wildcard path's parameter", () => {
    expect(Object.keys(paths).filter((path) => path.includes("{*}"))).toEqual([]);
    const page = paths["/dash/groups/{path}"]!.get! as Operation & { parameters: Array<{ in: string; name: string }> };
    expect(page.parameters.filter((parameter) => parameter.in === "path").map((parameter) => parameter.name)).toEqual(["path"]);
  });

  it("marks optional request bodies", () => {
    const operation = (path: string) => paths[path]!.post! as Operation & { requestBody?: { required: boolean } };
    expect(operation("/auth/refresh").requestBody?.required).toBe(false);
    expect(operation("/auth/login").requestBody?.required).toBe(true);
    expect(JSON.stringify(document)).not.toContain("x-arizuko-body-optional");
  });

  it("is a valid OpenAPI 3 document", async () => {
    expect(document.openapi).toMatch(/^3\./);
    // validate() dereferences in place; the document has no external $ref, so nothing is fetched.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it("serves the same description as YAML", async () => {
    const response = await fetch(`${url}/docs/yaml`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("/web/chats/{chat}/messages:");
  });
});

describe("GET /docs", () => {
  it("answers HTML without sign-in", async () => {
    const response = await fetch(`${url}/docs`, { redirect: "follow" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain('id="swagger-ui"');
  });

  it("loads its scripts and styles from this host only", async () => {
    const page = await (await fetch(`${url}/docs/`)).text();
    const sources = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => /^(https?:)?\/\//.test(source))).toEqual([]);

    const initializer = await (await fetch(`${url}/docs/static/swagger-initializer.js`)).text();
    expect(initializer).toContain("validatorUrl: null");
  });
});
