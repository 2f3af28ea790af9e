import path from 'node:path';
import type { Node } from 'ts-morph';
import { posix } from './version-sources.js';

/** Something in an app's code the migration cannot rewrite safely, with where it is. */
export interface CodeProblem {
  /** `src/functions/orders.js:12` (relative to the version's folder). */
  readonly at: string;
  readonly message: string;
}

export function problemAt(root: string, node: Node, message: string): CodeProblem {
  const file = posix(path.relative(root, node.getSourceFile().getFilePath()));
  return { at: `${file}:${node.getStartLineNumber()}`, message };
}

/** The code as the user wrote it, on one line and short enough for a message. */
export function quote(node: Node): string {
  const text = node.getText().replace(/\s+/g, ' ');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
