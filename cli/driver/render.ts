/**
 * Prints a deployment the way `pulumi up` and `pulumi preview` do: the resource tree with each
 * step's symbol and status, the stack outputs, the summary counts and the duration. Secrets show
 * as `[secret]` and values not known in a preview as `output<string>`, as in the CLI.
 *
 * @module
 * @internal
 */
import type { DeploymentResult } from "./deploy.js";
import { UNKNOWN, isSecretValue } from "./engineValues.js";
import type { Step, StepOp } from "./resourceSteps.js";

const SYMBOL: Record<StepOp, string> = {
  create: "+ ",
  update: "~ ",
  replace: "+-",
  delete: "- ",
  same: "  ",
};
const DONE: Record<StepOp, string> = {
  create: "created",
  update: "updated",
  replace: "replaced",
  delete: "deleted",
  same: "",
};

/** How many steps of each kind a deployment took. */
export function countSteps(result: DeploymentResult): Record<StepOp, number> {
  const counts: Record<StepOp, number> = { create: 0, update: 0, replace: 0, delete: 0, same: 0 };
  for (const step of result.steps) counts[step.op] += 1;
  return counts;
}

/** True when the deployment changed (or, in preview, would change) nothing. */
export function hasNoChanges(result: DeploymentResult): boolean {
  return result.steps.every((step) => step.op === "same");
}

/** The steps as a tree, children under their parent, in registration order. */
function treeRows(steps: readonly Step[]): { step: Step; prefix: string }[] {
  const urns = new Set(steps.map((step) => step.urn));
  const children = new Map<string | undefined, Step[]>();
  for (const step of steps) {
    const parent = step.parent !== undefined && urns.has(step.parent) ? step.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), step]);
  }
  const rows: { step: Step; prefix: string }[] = [];
  const walk = (parent: string | undefined, indent: string, depth: number): void => {
    const list = children.get(parent) ?? [];
    list.forEach((step, index) => {
      const last = index === list.length - 1;
      rows.push({ step, prefix: depth === 0 ? "" : `${indent}${last ? "└─ " : "├─ "}` });
      walk(step.urn, depth === 0 ? "" : `${indent}${last ? "   " : "│  "}`, depth + 1);
    });
  };
  walk(undefined, "", 0);
  return rows;
}

/** One output value as the CLI prints it. */
export function formatOutputValue(value: unknown): string {
  if (value === UNKNOWN) return "output<string>";
  if (isSecretValue(value)) return "[secret]";
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/**
 * The lines `pulumi up` (or `pulumi preview`) would print for this deployment.
 *
 * @param result - what {@link deploy} returned.
 */
export function renderDeployment(result: DeploymentResult): string[] {
  const lines: string[] = [];
  lines.push(`${result.preview ? "Previewing update" : "Updating"} (${result.stack}):`);
  const rows = treeRows(result.steps).map(({ step, prefix }) => {
    const info =
      step.keys.length > 0 && (step.op === "update" || step.op === "replace")
        ? `[diff: ${step.keys.map((key) => `~${key}`).join(",")}]`
        : "";
    const status = result.preview ? (step.op === "same" ? "" : step.op) : DONE[step.op];
    return [` ${SYMBOL[step.op]}  ${prefix}${step.type}`, step.name, status, info];
  });
  const header = ["     Type", "Name", result.preview ? "Plan" : "Status", "Info"];
  const widths = [0, 1, 2].map((column) =>
    Math.max(...[header, ...rows].map((row) => (row[column] ?? "").length)),
  );
  for (const row of [header, ...rows]) {
    lines.push(
      row
        .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
        .join("  ")
        .trimEnd(),
    );
  }
  const outputs = Object.entries(result.outputs).sort(([a], [b]) => a.localeCompare(b));
  if (outputs.length > 0) {
    lines.push("", "Outputs:");
    const width = Math.max(...outputs.map(([key]) => key.length));
    for (const [key, value] of outputs) {
      lines.push(`    ${key.padEnd(width)}: ${formatOutputValue(value)}`);
    }
  }
  const counts = countSteps(result);
  const verb = (op: Exclude<StepOp, "same">, done: string): string =>
    result.preview ? `to ${op}` : done;
  lines.push("", "Resources:");
  if (counts.create > 0) lines.push(`    + ${counts.create} ${verb("create", "created")}`);
  if (counts.update > 0) lines.push(`    ~ ${counts.update} ${verb("update", "updated")}`);
  if (counts.replace > 0) lines.push(`    +-${counts.replace} ${verb("replace", "replaced")}`);
  if (counts.delete > 0) lines.push(`    - ${counts.delete} ${verb("delete", "deleted")}`);
  if (counts.same > 0) lines.push(`    ${counts.same} unchanged`);
  lines.push("", `Duration: ${(result.durationMs / 1000).toFixed(1)}s`);
  return lines;
}
