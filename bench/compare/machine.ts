/** Where and with what the comparison ran, for bench/RESULTS.md. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, release, type } from "node:os";
import { resolve } from "node:path";
import type { Machine } from "./results-md.ts";

const ROOT = resolve(import.meta.dirname, "../..");

export function machine(): Machine {
  return {
    date: `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    cpu: cpus()[0]?.model.trim() ?? "unknown CPU",
    cores: availableParallelism(),
    os: `${type()} ${release()}`,
    node: process.version,
    go: `${output("go", ["version"]).split(" ")[2] ?? "Go ?"} with gorilla/websocket ${gorillaVersion()}`,
    wrangler: packageVersion(resolve(ROOT, "node_modules/wrangler/package.json")),
    // The workerd wrangler itself runs: the one both wrangler dev and plain workerd use.
    workerd: packageVersion(createRequire(import.meta.resolve("wrangler")).resolve("workerd/package.json")),
  };
}

function gorillaVersion(): string {
  // dpkg-query -W prints "name<TAB>version".
  return output("dpkg-query", ["-W", "golang-github-gorilla-websocket-dev"]).split("\t")[1] ?? "?";
}

function output(command: string, args: string[]): string {
  return spawnSync(command, args, { encoding: "utf8" }).stdout?.trim() ?? "";
}

function packageVersion(path: string): string {
  const json: unknown = JSON.parse(readFileSync(path, "utf8"));
  return typeof json === "object" && json !== null && "version" in json ? String(json.version) : "?";
}
