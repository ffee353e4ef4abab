import type { TestProject } from "vitest/node";
import { startDevServer } from "./dev-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** `http://127.0.0.1:PORT` of the `wrangler dev` shared by the e2e tests. */
    httpUrl: string;
    /** `ws://127.0.0.1:PORT` of the same server. */
    wsUrl: string;
  }
}

/** One `wrangler dev` for the whole e2e run: wrangler.toml's defaults but `LOAD_VARS` (no limits on its one address). */
export default async function setup(project: TestProject) {
  const server = await startDevServer();
  project.provide("httpUrl", server.httpUrl);
  project.provide("wsUrl", server.wsUrl);
  return () => server.stop();
}
