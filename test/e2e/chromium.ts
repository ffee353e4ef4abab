/**
 * Which Chromium the browser tests and `npm run screenshot` drive. Never downloads one:
 * 1. `CHROMIUM_PATH`, when set;
 * 2. on Linux x64, the Chromium pinned in the lockfile (`@sparticuz/chromium`), so every
 *    machine, CI included, tests the same build even where a system Chromium exists;
 * 3. elsewhere, a Chrome or Chromium the machine has, or an error saying how to name one.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * Flags for a headless browser that behaves like a person's: same-origin policy, site
 * isolation and a multi-process renderer intact. `@sparticuz/chromium`'s own `args` are
 * made for serverless (`--disable-web-security`, `--single-process`) and are not used.
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--no-sandbox", // root in a container has no user namespace for the sandbox
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where installed browsers live on macOS and Windows, most likely first. */
function systemCandidates(): string[] {
  if (process.platform === "darwin") {
    return [
      "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
      "/Applications/Chromium.app/Contents/MacOS/Chromium",
    ];
  }
  if (process.platform === "win32") {
    const roots = [process.env.PROGRAMFILES, process.env["PROGRAMFILES(X86)"], process.env.LOCALAPPDATA];
    return roots.filter((root) => root !== undefined).map((root) => join(root, "Google/Chrome/Application/chrome.exe"));
  }
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
}

/** The browser to launch, and where it came from (for error messages and logs). */
export async function chromiumExecutable(): Promise<{ path: string; source: string }> {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen !== undefined && chosen !== "") {
    if (!existsSync(chosen)) throw new Error(`CHROMIUM_PATH=${chosen} does not exist`);
    return { path: chosen, source: "CHROMIUM_PATH" };
  }
  if (process.platform === "linux" && process.arch === "x64") return { path: await pinnedChromium(), source: "pinned" };
  const found = systemCandidates().find((path) => existsSync(path));
  if (found !== undefined) return { path: found, source: "system" };
  throw new Error(
    `no Chrome or Chromium found (looked at ${systemCandidates().join(", ")}); ` +
      "install one or set CHROMIUM_PATH to its executable. These tests never download a browser.",
  );
}

/**
 * The lockfile's Chromium, unpacked once per checkout and version into node_modules/.cache.
 * The package unpacks into `os.tmpdir()` and reuses whatever it finds there, so a shared
 * /tmp could hand one checkout another version's browser: point TMPDIR at our own folder.
 */
async function pinnedChromium(): Promise<string> {
  const { default: chromium } = await import("@sparticuz/chromium");
  const manifest = await readFile(join(ROOT, "node_modules/@sparticuz/chromium/package.json"), "utf8");
  const { version } = JSON.parse(manifest) as { version: string };
  const folder = join(ROOT, "node_modules/.cache/chromium", version);
  await mkdir(folder, { recursive: true });
  const before = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  try {
    return await chromium.executablePath();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}
