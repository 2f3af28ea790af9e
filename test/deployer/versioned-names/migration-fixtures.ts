import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { fixtureApp, repositoryRoot } from '../host/fixture-apps.js';

/** Under the repository, so that apps run by the local host find its node_modules. */
export async function makeWorkDir(name: string): Promise<string> {
  const dir = path.join(repositoryRoot, '.data', 'test', `${name}-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

export function versionedNamesApp(name: string): string {
  return fixtureApp(path.join('versioned-names', name));
}

/** A copy of a fixture app, its package.json version set to `version`. */
export async function stageApp(fixture: string, destination: string, version?: string): Promise<string> {
  await cp(versionedNamesApp(fixture), destination, { recursive: true });
  if (version !== undefined) {
    const file = path.join(destination, 'package.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, `${JSON.stringify({ ...manifest, version }, null, 2)}\n`);
  }
  return destination;
}

/** Every file under `dir` (relative path → content), node_modules left out. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') await walk(child);
      } else files.set(child, await readFile(path.join(dir, child), 'utf8'));
    }
  };
  await walk('');
  return files;
}

/** Every JavaScript and TypeScript file of the app parses without a syntax error. */
export async function assertParses(dir: string): Promise<void> {
  for (const [file, text] of await readTree(dir)) {
    if (!/\.[cm]?[jt]s$/.test(file)) continue;
    const { diagnostics } = ts.transpileModule(text, { reportDiagnostics: true, fileName: file, compilerOptions: { allowJs: true } });
    assert.deepEqual((diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')), [], `${file} does not parse`);
  }
}

/** The string literals in a file, read from its syntax tree. */
export async function stringLiterals(file: string): Promise<Set<string>> {
  const source = ts.createSourceFile(file, await readFile(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const literals = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) literals.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return literals;
}

/** The names of the methods called in a file (`app.http(...)` → `http`). */
export async function calledMethods(file: string): Promise<Set<string>> {
  const source = ts.createSourceFile(file, await readFile(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const methods = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) methods.add(node.expression.name.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return methods;
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

export { repositoryRoot };
