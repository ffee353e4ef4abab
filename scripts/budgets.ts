/**
 * `npm run check:budgets`: the Worker bundle and the client page must stay
 * small. Builds the bundle exactly as `wrangler deploy` would (dry run),
 * gzips it and what a first visit to the page loads, as they are served, and
 * compares each total with its budget. Exits 1 when one is over.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const ROOT = resolve(import.meta.dirname, "..");
const PUBLIC = resolve(ROOT, "public");
const KIB = 1024;
/**
 * The whole Worker, gzipped. The platform's limits are far off (64 MiB uncompressed, 3 MiB
 * gzipped before 2026; 1 s of startup CPU), so they set no useful budget. What this one guards is
 * the code we run at every cold start and ask a reviewer to read: it must catch a step nobody
 * chose (a second copy of a library, a polyfill, a framework a helper pulled in), not the next
 * feature. The features so far each added 3 to 8 KiB (test controls 2.8, rooms over objects 3.8,
 * jose 7.5, history 6); 48 KiB leaves room for three or four more of that size on today's
 * 28.7 KiB (the rate limits, caps and token subprotocols under way among them). A Worker past it
 * should be split, or its dependencies questioned, before the budget is raised.
 */
const WORKER_BUDGET_BYTES = 48 * KIB;
/**
 * What a first visit loads (index.html, its stylesheets, modules and images), gzipped, each file
 * as it is fetched. On a new connection TCP sends 10 segments in its first round trip (RFC 6928:
 * about 14 KiB) and twice as many in each after it; all of the page within the first two flights
 * (10 + 20 segments of 1,460 bytes, about 42 KiB, less headers and TLS framing: 40 KiB) means a
 * visitor has all of it a fixed number of round trips after asking, however fast the link; past
 * it, each visit pays one more round trip (150 ms on a mobile link). Today about 29 KiB.
 */
const PAGE_BUDGET_BYTES = 40 * KIB;
/** Modules wrangler emits for upload; source maps and its README are not uploaded as code. */
const BUNDLE_FILE = /\.(m?js|wasm)$/;
/** A tag in index.html whose `href` or `src` the browser fetches as the page loads (not `<a>`). */
const FETCHED_TAG = /<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"/g;
/** A module's static import or re-export of another file of the page (`import … from "./x.js"`, `import "./x.js"`). */
const IMPORT = /(?:^|[\s;}])(?:import|export)\b[^;"']*?["'](\.{1,2}\/[^"']+)["']/g;

interface Measured {
  name: string;
  raw: number;
  gzip: number;
}

/** Each file, gzipped alone at the default level (as wrangler reports it, as a browser fetches it). */
function gzipped(dir: string, names: string[]): Measured[] {
  return names.toSorted().map((name) => {
    const bytes = readFileSync(join(dir, name));
    return { name, raw: bytes.length, gzip: gzipSync(bytes).length };
  });
}

/**
 * What a first visit fetches, as paths under public/: index.html, each file its tags name, and
 * every module those import, followed to the end (modulepreload fetches them at once, but an
 * import the page forgot to preload is fetched all the same). Type-only `@import`s in comments
 * load nothing and are not counted.
 */
function firstVisit(): string[] {
  const seen = new Set<string>();
  const due = ["index.html"];
  const html = readFileSync(join(PUBLIC, "index.html"), "utf8");
  for (const [, ref = ""] of html.matchAll(FETCHED_TAG))
    if (!/^[a-z]+:|^\/\//i.test(ref)) due.push(posix.normalize(ref.replace(/^\//, "")));
  while (due.length > 0) {
    const path = due.pop() ?? "";
    if (seen.has(path)) continue;
    if (!existsSync(join(PUBLIC, path))) throw new Error(`the page loads ${path}, which is not in public/`);
    seen.add(path);
    if (!path.endsWith(".js")) continue;
    const code = readFileSync(join(PUBLIC, path), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    for (const [, spec = ""] of code.matchAll(IMPORT)) due.push(posix.join(posix.dirname(path), spec));
  }
  return [...seen];
}

function buildBundle(outdir: string): void {
  const result = spawnSync(resolve(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", outdir], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (result.status !== 0) {
    throw new Error(`wrangler deploy --dry-run failed (${result.status}):\n${result.stdout}${result.stderr}`);
  }
}

/** Prints the files and their total against the budget; returns whether it fits. */
function report(title: string, files: Measured[], budget: number): boolean {
  const total = files.reduce((sum, file) => sum + file.gzip, 0);
  const fits = files.length > 0 && total <= budget;
  console.log(`${title}: ${kib(total)} gzip of ${kib(budget)} budget ${fits ? "ok" : "OVER"}`);
  for (const file of files)
    console.log(`  ${file.name.padEnd(22)} ${kib(file.raw).padStart(10)} raw ${kib(file.gzip).padStart(10)} gzip`);
  if (files.length === 0) console.log("  no files found: nothing was measured");
  return fits;
}

function kib(bytes: number): string {
  return `${(bytes / KIB).toFixed(2)} KiB`;
}

const outdir = mkdtempSync(join(tmpdir(), "edge-echo-budget-"));
let ok: boolean;
try {
  buildBundle(outdir);
  const bundle = readdirSync(outdir, { recursive: true, encoding: "utf8" }).filter((name) => BUNDLE_FILE.test(name));
  const worker = report("Worker bundle (wrangler deploy --dry-run)", gzipped(outdir, bundle), WORKER_BUDGET_BYTES);
  const page = report(
    "Client page, first visit (index.html and all it loads)",
    gzipped(PUBLIC, firstVisit()),
    PAGE_BUDGET_BYTES,
  );
  ok = worker && page;
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
if (!ok) {
  console.error(
    "\nOver budget: make the bundle or the page smaller, or raise the budget in scripts/budgets.ts with a reason.",
  );
  process.exitCode = 1;
}
