import path from 'node:path';
import { versionFunctionNames } from '../../../deployer/versioned-names/version-names.js';

export interface VersionNamesCommandOptions {
  readonly previous: string;
  readonly to: string;
  readonly out?: string | undefined;
  readonly drop?: string | undefined;
}

export async function runVersionNamesCommand(appDir: string, options: VersionNamesCommandOptions): Promise<void> {
  const drop = options.drop === undefined ? [] : options.drop.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const result = await versionFunctionNames({ appDir, previous: options.previous, to: options.to, drop, ...(options.out === undefined ? {} : { out: options.out }) });
  const lines = [`Wrote the app of ${result.manifest.current} with its earlier versions to ${result.out}:`];
  for (const version of result.manifest.versions) {
    const { orchestrations, activities, entities } = version.functions;
    const where = version.folder === '.' ? 'the app\'s root' : version.folder;
    lines.push(`  ${version.version} (${where}): ${describe('orchestrator', orchestrations)}, ${describe('activity', activities)}, ${describe('entity', entities)}`);
  }
  const settings = Object.entries(result.settings);
  if (settings.length > 0) {
    lines.push('App settings that point new starts at the new orchestrators (in local.settings.json; set them on the app you deploy to):');
    for (const [name, value] of settings) lines.push(`  ${name}=${value}`);
  }
  const relative = path.relative(process.cwd(), result.out) || '.';
  lines.push(`Install its dependencies (npm install in ${relative})${result.needsBuild ? ' and build it (npm run build; release --package does)' : ''} before it runs.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function describe(kind: string, names: readonly string[]): string {
  const plural = kind === 'activity' ? 'activities' : kind === 'entity' ? 'entities' : `${kind}s`;
  return names.length === 0 ? `no ${plural}` : `${names.length === 1 ? kind : plural} ${names.join(', ')}`;
}
