#!/usr/bin/env node
/** `npm run package:control-plane [-- --out <zip>]`: the control plane's Function App package. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeFailure } from '../../cli/global-options.js';
import { buildControlPlanePackage } from './control-plane-package.js';

const projectRoot = fileURLToPath(new URL('../../../../', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: path.join('dist', 'control-plane.zip') } } });
  const started = Date.now();
  const built = await buildControlPlanePackage({
    projectRoot,
    out: path.resolve(values.out),
    onProgress: (message) => process.stdout.write(`${message}...\n`),
  });
  const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  process.stdout.write([
    `control plane package: ${built.path}`,
    `  ${built.files} files, ${mb(built.bytes)} (${mb(built.zipBytes)} zipped), in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    '  deploy it to the control plane Function App (OneDeploy):',
    `  az functionapp deploy --resource-group <group> --name <control plane app> --src-path ${path.relative(process.cwd(), built.path)} --type zip`,
    '',
  ].join('\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${describeFailure(error)}\n`);
  process.exitCode = 1;
});
