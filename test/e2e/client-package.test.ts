/**
 * The rooms client as its users get it: `npm pack` of public/client/ (the package
 * edge-echo-client, packed from a copy: its `prepack` writes types beside the modules, and
 * the `wrangler dev` the e2e tests share watches public/ and would reload, dropping every
 * socket of the tests running meanwhile), installed from the tarball into a fresh project outside this repository
 * (offline: it has no dependency to fetch), imported by name under Node against `wrangler dev`,
 * and checked by this repository's TypeScript in strict mode: a file using its events, options
 * and wire types compiles, one with a misspelt event name does not.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const PACKAGE_DIR = resolve(ROOT, "public/client");
const TSC = resolve(ROOT, "node_modules/.bin/tsc");
/** npm pack runs tsc for the types, npm install unpacks: both well under this on a loaded machine. */
const NPM_TIMEOUT_MS = 60_000;
const APP_TIMEOUT_MS = 20_000;

const run = promisify(execFile);
/** The npm settings of the `npm test` around this run are not the fresh project's; `prepack` finds tsc here. */
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("npm_"))),
  PATH: `${resolve(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
};

let workDir: string;
/** The copy of public/client/ that is packed. */
let source: string;
let app: string;
let packed: { filename: string; version: string; files: { path: string }[] };

/** Runs `command` in `cwd`; its failure names the command and shows what it printed. */
async function sh(command: string, args: string[], cwd: string, timeout = NPM_TIMEOUT_MS) {
  try {
    return await run(command, args, { cwd, env, timeout, encoding: "utf8" });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout}${stderr}`, { cause: error });
  }
}

/** tsc over `tsconfig` in the app: its exit code and what it printed. */
async function typecheck(tsconfig: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(TSC, ["-p", join(app, tsconfig)], { cwd: app, env, encoding: "utf8" });
    return { code: 0, output: stdout };
  } catch (error) {
    const { code, stdout = "" } = error as { code?: number; stdout?: string };
    return { code: code ?? -1, output: stdout };
  }
}

function write(name: string, text: string) {
  writeFileSync(join(app, name), text);
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "edge-echo-client-package-"));
  const packDir = join(workDir, "pack");
  source = join(workDir, "source");
  app = join(workDir, "app");
  mkdirSync(packDir);
  mkdirSync(app);
  cpSync(PACKAGE_DIR, source, { recursive: true });
  const { stdout } = await sh("npm", ["pack", "--pack-destination", packDir, "--json"], source);
  [packed] = JSON.parse(stdout);
  write("package.json", JSON.stringify({ name: "an-app", private: true, type: "module" }));
  await sh("npm", ["install", join(packDir, packed.filename), "--offline", "--no-audit", "--no-fund"], app);
});

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

describe("the package edge-echo-client", () => {
  it("packs the module's files, their types generated from its JSDoc, its manifest and README, nothing else", () => {
    const modules = readdirSync(PACKAGE_DIR).filter((name) => name.endsWith(".js"));
    expect(modules).toContain("room-client.js");
    const expected = [
      "README.md",
      "package.json",
      ...modules,
      ...modules.map((name) => `types/${name.replace(/\.js$/, ".d.ts")}`),
    ];
    expect(packed.files.map((file) => file.path).sort()).toEqual(expected.sort());
  });

  it("leaves no generated types behind in the package's folder, which in public/ Static Assets would serve", () => {
    expect(readdirSync(source)).not.toContain("types");
  });

  it("installs from its tarball alone: it has no dependency of its own", () => {
    expect(readdirSync(join(app, "node_modules")).filter((name) => !name.startsWith("."))).toEqual([
      "edge-echo-client",
    ]);
    const manifest = JSON.parse(readFileSync(join(app, "node_modules/edge-echo-client/package.json"), "utf8"));
    expect(manifest).toMatchObject({ name: "edge-echo-client", type: "module", types: "./types/room-client.d.ts" });
    expect(manifest.dependencies).toBeUndefined();
    // The major version is the wire contract's (docs/rooms.md "The wire": version 1).
    expect(packed.version).toMatch(/^1\.\d+\.\d+$/);
  });

  it("is imported by name under Node, joins a room and receives a member's message", async () => {
    write(
      "app.js",
      `import { RoomClient } from "edge-echo-client";

const url = process.argv[2];
const reader = new RoomClient(url);
const writer = new RoomClient(url);
for (const client of [reader, writer])
  client.on("close", ({ code, why }) => { if (code !== 1000) { console.error(\`stopped: \${code} \${why}\`); process.exit(1); } });
await new Promise((resolve) => reader.on("joined", resolve));
reader.on("message", ({ data, sender, via, position }) => {
  console.log(JSON.stringify({ data, sender, via, position }));
  reader.close();
  writer.close();
});
writer.send("hello from an installed package");
`,
    );
    const room = `${inject("wsUrl")}/rooms/package-${crypto.randomUUID().slice(0, 8)}`;
    const { stdout } = await sh("node", ["app.js", room], app, APP_TIMEOUT_MS);
    expect(JSON.parse(stdout)).toEqual({
      data: "hello from an installed package",
      sender: expect.stringMatching(/.+/),
      via: null,
      position: expect.stringMatching(/.+/),
    });
  });

  describe("its types, under a strict tsc", () => {
    beforeAll(() => {
      write(
        "tsconfig.json",
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noUncheckedIndexedAccess: true,
            exactOptionalPropertyTypes: true,
            target: "es2024",
            lib: ["es2024", "dom"],
            module: "nodenext",
            moduleResolution: "nodenext",
            types: [],
            noEmit: true,
            // Check the package's .d.ts too, not only this file's use of them.
            skipLibCheck: false,
          },
          files: ["uses.ts"],
        }),
      );
      write("tsconfig.misspelt.json", JSON.stringify({ extends: "./tsconfig.json", files: ["misspelt.ts"] }));
    });

    it("compile a file that uses its events, options and wire types; a wrong type or a misspelt option is an error", async () => {
      write(
        "uses.ts",
        `import {
  type EnvelopeHeader,
  type JoinedFrame,
  type MemberInfo,
  RoomClient,
  type RoomClientOptions,
  type RoomMessageEvent,
  type TextEnvelope,
} from "edge-echo-client";

const options: RoomClientOptions = { history: 50, getToken: async () => "a token", maxQueued: 10, pingIntervalMs: 25_000 };
const room = new RoomClient(() => "wss://example.test/rooms/lobby", options);
const off: () => void = room.on("message", (event) => {
  const sender: string = event.sender;
  const time: number = event.time;
  const via: "http" | null = event.via;
  const data: string | ArrayBuffer = event.data;
  // @ts-expect-error a message's sender is a string: the listener's event is typed from the event's name
  const wrong: number = event.sender;
  console.log(sender, time, via, data, wrong);
});
room.on("joined", ({ position, recovered, replayed, resumed, start }) => {
  const fields: [string, boolean, number, boolean, string | null] = [position, recovered, replayed, resumed, start];
  console.log(fields);
});
room.on("reconnecting", ({ code, reason, delay, attempt }) => console.log(code + delay + attempt, reason.length));
room.on("close", ({ code, why }) => console.log(code.toFixed(), why.length));
room.on("error", ({ message }) => console.log(message.length));
const watching = new RoomClient("wss://example.test/rooms/lobby", { presence: true });
watching.on("presence", ({ members, users, truncated }) => console.log(members.size + users, truncated));
watching.on("join", ({ id, info }) => console.log(id.length, info?.name));
watching.on("leave", ({ id }) => console.log(id.length));
// @ts-expect-error a leave carries only the user's id
watching.on("leave", ({ info }) => console.log(info));
const entry: { info: MemberInfo | null; connections: number } | undefined = watching.presence.get("ann");
console.log(entry?.connections);
const listener = (event: RoomMessageEvent) => console.log(event.position.length);
room.on("message", listener);
// @ts-expect-error a misspelt option is refused
new RoomClient("wss://example.test/rooms/lobby", { histroy: 5 });
const frame: JoinedFrame = { type: "joined", position: "p", recovered: false, replayed: 0, start: "s" };
const envelope: TextEnvelope = { type: "message", position: "p", sender: "s", time: 0, data: "hi" };
const header: EnvelopeHeader = { type: "message", position: "p", sender: "s", time: 0, via: "http" };
const state: 0 | 1 | 3 = room.readyState;
console.log(frame, envelope, header, state === RoomClient.OPEN, room.send(new Uint8Array([1, 2])));
off();
room.close(1000, "done");
`,
      );
      const { code, output } = await typecheck("tsconfig.json");
      expect(output).toBe("");
      expect(code).toBe(0);
    });

    it("refuse a misspelt event name", async () => {
      write(
        "misspelt.ts",
        `import { RoomClient } from "edge-echo-client";

const room = new RoomClient("wss://example.test/rooms/lobby");
room.on("mesage", (event) => console.log(event));
`,
      );
      const { code, output } = await typecheck("tsconfig.misspelt.json");
      expect(code).not.toBe(0);
      expect(output).toContain(`misspelt.ts(4,9): error TS2345: Argument of type '"mesage"' is not assignable`);
      // Nothing else is wrong in the file: the one error is the name.
      expect(
        output
          .trim()
          .split("\n")
          .filter((line) => line.includes("error TS")),
      ).toHaveLength(1);
    });
  });
});
