// Formatting topology problems for terminals and logs.
import type { TopologyProblem } from '../contract.js';

/** Formats a problem as "file:line:col: message" ("file: message" when it has no position). */
export function formatProblem(problem: TopologyProblem): string {
  if (problem.line <= 0) return `${problem.file}: ${problem.message}`;
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}
