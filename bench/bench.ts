/**
 * `npm run bench -- <ws-or-wss-URL> [options]`: load-tests a WebSocket echo
 * server, verifies every message, prints the figures. See `--help`.
 */
import { writeFileSync } from "node:fs";
import { parseBenchArgs } from "./args.ts";
import { helpText } from "./help.ts";
import { Progress } from "./progress.ts";
import { jsonReport, markdownReport, textReport } from "./report.ts";
import { type Plan, planDeadlineMs, runPlan, type Target } from "./runner.ts";

const EXIT_ERRORS = 1;
const EXIT_USAGE = 2;
const EXIT_DEADLINE = 3;
/** Time to exit after the report before the tool stops waiting for stray handles. */
const EXIT_GRACE_MS = 2_000;

const parsed = parseBenchArgs(process.argv.slice(2));
if (parsed.kind === "help") {
  process.stdout.write(helpText());
  process.exit(0);
}
if (parsed.kind === "error") {
  process.stderr.write(`bench: ${parsed.message}\nRun \`npm run bench -- --help\` for the options.\n`);
  process.exit(EXIT_USAGE);
}
const options = parsed.options;

const targets: Target[] = [{ label: "A", url: options.url }];
if (options.against !== null) targets.push({ label: "B", url: options.against });
const plan: Plan = {
  scenarios: options.scenarios,
  targets,
  rounds: options.rounds,
  settings: options.settings,
  connectTimeoutMs: options.connectTimeoutMs,
};

// The last resort against a server that hangs in a way no per-run deadline caught.
const deadlineMs = options.deadlineMs ?? planDeadlineMs(plan) + 10_000;
setTimeout(() => {
  process.stderr.write(`\nbench: hard deadline of ${deadlineMs / 1000} s reached; exiting\n`);
  process.exit(EXIT_DEADLINE);
}, deadlineMs).unref();

const out = options.json ? process.stderr : process.stdout;
out.write(`${targets.map((t) => `${t.label} = ${t.url.href}`).join(", ")}; ${options.settings.seconds} s per run\n`);
const results = await runPlan(plan, new Progress(process.stdout));
out.write(`${textReport(results)}\n`);

const command = `npm run bench -- ${process.argv.slice(2).join(" ")}`;
if (options.markdown !== null) {
  const legend = targets.map((t) => `${t.label} = \`${t.url.href}\``).join(", ");
  const body = markdownReport(results, "WebSocket bench");
  writeFileSync(options.markdown, `${body}\n\n${legend}. Command: \`${command}\`\n`);
}
if (options.json) {
  const extra = { url: options.url.href, against: options.against?.href ?? null, rounds: options.rounds };
  process.stdout.write(`${jsonReport(results, { ...extra, settings: options.settings })}\n`);
}
const ok = results.every((result) => result.summaries.every((s) => s.errorCount === 0));
process.exitCode = ok ? 0 : EXIT_ERRORS;
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
