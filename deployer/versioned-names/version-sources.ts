/**
 * One version's code as a syntax tree: a TypeScript app is the project its tsconfig.json names; a
 * JavaScript app is the module graph reached from package.json `main` by static imports and
 * `require`s of relative paths (CommonJS and ES modules alike).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Node, Project, ts, type SourceFile } from 'ts-morph';
import { findEntryPointFiles } from '../host/app-loading/entry-point-glob.js';
import { RouterError } from '../../shared/errors/router-error.js';

export type AppLanguage = 'javascript' | 'typescript';

export interface VersionSources {
  /** The version's app folder, absolute. */
  readonly root: string;
  readonly language: AppLanguage;
  /** The version's own package.json `main` (a glob allowed), relative to `root`. */
  readonly main: string;
  readonly project: Project;
  /** The version's code, in path order. */
  readonly files: readonly SourceFile[];
  /** TypeScript: the build's output folder, relative to `root` (posix). */
  readonly outDir?: string;
}

/** Folders of an app that are never its code. */
export const notCodeFolders = new Set(['node_modules', '.git', '.data', 'versions']);

export async function loadVersionSources(root: string, main: string): Promise<VersionSources> {
  const tsconfig = path.join(root, 'tsconfig.json');
  return existsSync(tsconfig) ? loadTypeScript(root, main, tsconfig) : loadJavaScript(root, main);
}

function loadTypeScript(root: string, main: string, tsconfig: string): VersionSources {
  const project = new Project({ tsConfigFilePath: tsconfig });
  const options = project.getCompilerOptions();
  if (options.outDir === undefined) {
    throw new RouterError(
      'VERSION_NAMES_UNSAFE',
      `${tsconfig} sets no compilerOptions.outDir: the built JavaScript would lie beside the sources and be copied with them. Set "outDir" (e.g. "dist") and point package.json "main" into it.`,
    );
  }
  const outDir = posix(path.relative(root, options.outDir));
  const files = project.getSourceFiles().filter((file) => isAppCode(root, file.getFilePath(), outDir) && !file.isDeclarationFile());
  for (const file of project.getSourceFiles()) if (!files.includes(file)) project.removeSourceFile(file);
  return { root, language: 'typescript', main, project, files: sortByPath(files), outDir };
}

async function loadJavaScript(root: string, main: string): Promise<VersionSources> {
  const entries = await findEntryPointFiles(root, main);
  if (entries.length === 0) {
    throw new RouterError('VERSION_NAMES_INVALID', `package.json "main" (${main}) of ${root} names no file: nothing to migrate.`);
  }
  const project = new Project({
    // Names are followed within the app's own files: packages' types are not read (it is faster).
    compilerOptions: { allowJs: true, checkJs: false, noEmit: true, noResolve: true, types: [], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 },
    skipAddingFilesFromTsConfig: true,
  });
  const pending = entries.map((entry) => path.join(root, entry));
  const seen = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = project.addSourceFileAtPath(file);
    for (const specifier of relativeSpecifiers(source)) {
      const target = resolveRelativeModule(path.dirname(file), specifier);
      if (target !== undefined && isAppCode(root, target) && /\.[cm]?js$/.test(target)) pending.push(target);
    }
  }
  return { root, language: 'javascript', main, project, files: sortByPath(project.getSourceFiles()) };
}

/** The relative module specifiers a file loads statically (dynamic ones are refused elsewhere). */
export function relativeSpecifiers(file: SourceFile): string[] {
  const specifiers: string[] = [];
  file.forEachDescendant((node) => {
    let specifier: string | undefined;
    if (Node.isImportDeclaration(node) || Node.isExportDeclaration(node)) {
      specifier = node.getModuleSpecifierValue();
    } else if (Node.isCallExpression(node) && isModuleLoad(node)) {
      const [argument] = node.getArguments();
      if (argument !== undefined && Node.isStringLiteral(argument)) specifier = argument.getLiteralValue();
    }
    if (specifier !== undefined && (specifier.startsWith('./') || specifier.startsWith('../'))) specifiers.push(specifier);
  });
  return specifiers;
}

/** `require(x)` or `import(x)`. */
export function isModuleLoad(call: Node): boolean {
  if (!Node.isCallExpression(call)) return false;
  const callee = call.getExpression();
  return callee.getKind() === ts.SyntaxKind.ImportKeyword || (Node.isIdentifier(callee) && callee.getText() === 'require');
}

/** Node's resolution of a relative specifier to a file, for the extensions an app's code has. */
function resolveRelativeModule(fromDir: string, specifier: string): string | undefined {
  const base = path.resolve(fromDir, specifier);
  const candidates = [base, `${base}.js`, `${base}.cjs`, `${base}.mjs`, path.join(base, 'index.js'), path.join(base, 'index.cjs'), path.join(base, 'index.mjs')];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

function isAppCode(root: string, file: string, outDir?: string): boolean {
  const relative = path.relative(root, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return false;
  const parts = relative.split(path.sep);
  if (notCodeFolders.has(parts[0] as string) || parts.includes('node_modules')) return false;
  return outDir === undefined || outDir === '' || !(posix(relative) + '/').startsWith(`${outDir}/`);
}

function sortByPath(files: readonly SourceFile[]): SourceFile[] {
  return [...files].sort((a, b) => a.getFilePath().localeCompare(b.getFilePath()));
}

export function posix(relative: string): string {
  return relative.split(path.sep).join('/');
}
