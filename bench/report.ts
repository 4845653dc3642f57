/**
 * The benchmark's rows, the table it prints and the JSON it writes. Every row carries its
 * figure, the baseline measured beside it in the same run, their ratio, the target and the
 * verdict; a row that could not be measured says why instead of a number.
 *
 * @module
 */
import { cpus, loadavg } from "node:os";
import { readFileSync } from "node:fs";

/** The ids of every row, in table order: the smoke test checks each is present. */
export const ROW_IDS = [
  "1-preview-ms-per-resource",
  "1-preview-host-ms-per-resource",
  "1-preview-ratio",
  "1-preview-network-calls",
  "2-deploy-100-imports",
  "2-deploy-token-requests",
  "3-cold-start-source",
  "3-cold-start-dist",
  "3-azure-sdk-in-check-diff",
  "3-rss-after-1000",
  "4-sign-throughput",
  "4-byok-import-vs-unwrap",
  "4-keygen-ping-p99",
  "5-software-wrap",
  "5-pkcs11-wrap",
] as const;

/** One row id. */
export type RowId = (typeof ROW_IDS)[number];

/** One measured (or skipped) row. */
export interface Row {
  readonly id: RowId;
  /** What is measured, in a few words. */
  readonly what: string;
  readonly figure: number | null;
  readonly baseline: number | null;
  readonly unit: string;
  readonly baselineWhat: string;
  /** Figure over baseline, or baseline over figure, as `ratioWhat` says. */
  readonly ratio: number | null;
  readonly ratioWhat: string;
  /** The target in words ("≤ 1 ms", "ratio ≥ 50×"). */
  readonly target: string;
  /** null when not measured, or measured for information only (its target says "info: …"). */
  readonly pass: boolean | null;
  /** Iterations, conditions, and why a row is skipped. */
  readonly note: string;
  /** Set when the part that measures the row failed: the error's stack. */
  readonly error?: string;
}

/** The machine the run came from. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly loadAverageAtStart: readonly number[];
  readonly startedAt: string;
}

/** What the run read off the machine at start. */
export function machineInfo(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line !== undefined) cpuModel = line.split(":")[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpuModel,
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    startedAt: new Date().toISOString(),
  };
}

/** A row that was not measured, saying why. */
export function skippedRow(id: RowId, what: string, target: string, why: string, unit = ""): Row {
  return {
    id,
    what,
    figure: null,
    baseline: null,
    unit,
    baselineWhat: "",
    ratio: null,
    ratioWhat: "",
    target,
    pass: null,
    note: `not measured: ${why}`,
  };
}

function fmt(value: number | null): string {
  if (value === null || Number.isNaN(value)) return "-";
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** The table as printed: one line per row, then the notes. */
export function renderTable(rows: readonly Row[], machine: MachineInfo, mode: string): string {
  const header = ["row", "figure", "baseline", "ratio", "target", "result"];
  const body = rows.map((r) => [
    r.id,
    `${fmt(r.figure)} ${r.unit}`.trim(),
    r.baseline === null ? "-" : `${fmt(r.baseline)} ${r.unit}`.trim(),
    r.ratio === null ? "-" : `${fmt(r.ratio)}×`,
    r.target,
    r.pass === null ? (r.figure === null ? "SKIP" : "info") : r.pass ? "pass" : "FAIL",
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((line) => line[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [
    `azure-byok bench (${mode}) on ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load average at start ${machine.loadAverageAtStart.join(" ")}`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
    "",
    ...rows.map(
      (r) =>
        `${r.id}: ${r.what}; baseline: ${r.baselineWhat || "-"}; ratio: ${r.ratioWhat || "-"}. ${r.note}`,
    ),
  ].join("\n");
}
