/**
 * `npm run check:budgets`: the Worker bundle and the client page must stay
 * small. Builds the bundle exactly as `wrangler deploy` would (dry run),
 * gzips it and the page's files as they are served, and compares each total
 * with its budget. Exits 1 when one is over.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const ROOT = resolve(import.meta.dirname, "..");
const KIB = 1024;
/**
 * The whole Worker, gzipped: small enough to read in one sitting, and far below the platform's 3 MiB.
 * 10 KiB since the test controls (docs/controls.md), whose 400 reasons name every range: 5.6 → 8.4 KiB.
 * 14 KiB since rooms span many objects (directory, links, placement): about 3.8 KiB more.
 * 24 KiB since private rooms verify JWTs with `jose` rather than hand-written crypto: about 7.5 KiB.
 * 30 KiB since rooms keep history and resume members (history/: store, positions, catch-up): about 6 KiB.
 */
const WORKER_BUDGET_BYTES = 30 * KIB;
/**
 * The page a visitor downloads (HTML, CSS, JS), gzipped: loads at once even on a slow link.
 * 22 KiB since close codes are read in one place shared with other clients (close-policy.js).
 * 26 KiB since the room mode resumes through the rooms client module (client/room-client.js): 3.5 KiB.
 * 28 KiB since that module checks every frame it reads (client/frames.js) and types its events
 * (client/events.js), three files each gzipped alone: 6 KiB in all.
 * 29 KiB since the room mode asks first whether the server keeps history (off, it joins plainly).
 */
const PAGE_BUDGET_BYTES = 29 * KIB;
/** Modules wrangler emits for upload; source maps and its README are not uploaded as code. */
const BUNDLE_FILE = /\.(m?js|wasm)$/;
/**
 * index.html and every stylesheet and module (test/e2e/page-files.test.ts proves the page
 * loads each of them); 404.html is a page of its own, not part of what the client loads.
 */
const PAGE_FILE = /(^|\/)index\.html$|\.(css|js)$/;

interface Measured {
  name: string;
  raw: number;
  gzip: number;
}

function gzipped(dir: string, pattern: RegExp): Measured[] {
  // Subfolders too: a module or stylesheet moved into one is still part of what a visitor downloads.
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name));
      // Default level, as wrangler reports it; each file alone, as a browser fetches it.
      return { name, raw: bytes.length, gzip: gzipSync(bytes).length };
    });
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
    console.log(`  ${file.name.padEnd(16)} ${kib(file.raw).padStart(10)} raw ${kib(file.gzip).padStart(10)} gzip`);
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
  const worker = report("Worker bundle (wrangler deploy --dry-run)", gzipped(outdir, BUNDLE_FILE), WORKER_BUDGET_BYTES);
  const page = report(
    "Client page (public/**/index.html, *.css, *.js)",
    gzipped(resolve(ROOT, "public"), PAGE_FILE),
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
