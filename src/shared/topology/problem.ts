// Topology problems: the file-level kind, and formatting for terminals and logs.
import type { TopologyProblem } from '../contract.js';
import { oneLine } from './text.js';

/**
 * The line and column of a file-level problem: one about the file as a whole (it cannot be
 * read, it is too large, validation failed inside netweave), which has no position in it.
 * Every other problem has a 1-based line and column.
 */
export const FILE_LEVEL = 0;

/** True for a problem about the file as a whole (line and column FILE_LEVEL). */
export function isFileLevel(problem: Pick<TopologyProblem, 'line' | 'column'>): boolean {
  return problem.line === FILE_LEVEL && problem.column === FILE_LEVEL;
}

/** A file-level problem; the message is made one line (control characters escaped). */
export function fileProblem(file: string, message: string): TopologyProblem {
  return { file, line: FILE_LEVEL, column: FILE_LEVEL, path: [], message: oneLine(message) };
}

/**
 * Formats a problem as "file:line:col: message" ("file: message" when it has no position), on
 * one line: control characters in the file name or message are escaped.
 */
export function formatProblem(problem: TopologyProblem): string {
  const file = oneLine(problem.file);
  const message = oneLine(problem.message);
  if (problem.line <= 0) return `${file}: ${message}`;
  return `${file}:${problem.line}:${problem.column}: ${message}`;
}
