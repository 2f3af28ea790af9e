/**
 * Resolves a package.json `main` that may be a glob (as the Azure Functions Node worker allows,
 * e.g. `dist/src/functions/*.js`). Supports `*`, `**`, `?`, `[...]` and `{a,b}`; like globby's
 * defaults, wildcards do not match names starting with a dot. `node_modules` is only searched
 * when the pattern names it.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export function hasGlobMagic(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === '{') depth++;
    else if (pattern[i] === '}' && --depth === 0) {
      const options: string[] = [];
      let start = open + 1;
      let nested = 0;
      for (let j = open + 1; j < i; j++) {
        if (pattern[j] === '{') nested++;
        else if (pattern[j] === '}') nested--;
        else if (pattern[j] === ',' && nested === 0) {
          options.push(pattern.slice(start, j));
          start = j + 1;
        }
      }
      options.push(pattern.slice(start, i));
      const before = pattern.slice(0, open);
      const after = pattern.slice(i + 1);
      return options.flatMap((option) => expandBraces(before + option + after));
    }
  }
  return [pattern];
}

function segmentToRegExp(segment: string): string {
  let source = segment.startsWith('.') ? '' : '(?!\\.)';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 1);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      const body = segment.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
      source += `[${body}]`;
      i = close;
    } else source += escapeRegExp(ch);
  }
  return source;
}

/** Compiles a glob (posix separators, relative to the app directory) to a RegExp over relative paths. */
export function globToRegExp(pattern: string): RegExp {
  const alternatives = expandBraces(pattern.replace(/^\.\//, '')).map((expanded) => {
    const segments = expanded.split('/').filter((s) => s !== '');
    let source = '';
    segments.forEach((segment, index) => {
      const last = index === segments.length - 1;
      if (segment === '**') {
        source += last ? '(?:(?!\\.)[^/]*(?:/(?!\\.)[^/]*)*)?' : '(?:(?!\\.)[^/]*/)*';
      } else {
        source += segmentToRegExp(segment) + (last ? '' : '/');
      }
    });
    return source;
  });
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}

async function walk(root: string, relative: string, includeNodeModules: boolean, out: string[]): Promise<void> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  for (const entry of entries) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' && !includeNodeModules) continue;
      if (entry.name.startsWith('.')) continue;
      await walk(root, child, includeNodeModules, out);
    } else if (entry.isFile()) {
      out.push(child);
    }
  }
}

/** The static directory prefix of a glob: only it needs walking. */
function staticBase(pattern: string): string {
  const segments = pattern.replace(/^\.\//, '').split('/');
  const base: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (hasGlobMagic(segment)) break;
    base.push(segment);
  }
  return base.join('/');
}

/** Relative paths (posix, sorted) of the files matching `pattern` under `appDir`. */
export async function findEntryPointFiles(appDir: string, pattern: string): Promise<string[]> {
  const normalized = pattern.replace(/\\/g, '/');
  if (!hasGlobMagic(normalized)) {
    const file = path.resolve(appDir, normalized);
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    return info?.isFile() ? [path.relative(appDir, file).split(path.sep).join('/')] : [];
  }
  const base = staticBase(normalized);
  const baseInfo = await stat(path.join(appDir, base)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!baseInfo?.isDirectory()) return [];
  const files: string[] = [];
  await walk(appDir, base, normalized.includes('node_modules'), files);
  const matcher = globToRegExp(normalized);
  return files.filter((file) => matcher.test(file)).sort();
}
