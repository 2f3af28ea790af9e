/**
 * The two versions of the sample app the demo releases: 1.0.0 as it is, and 1.1.0 with a breaking
 * change to its order workflow — a gift-wrapping step before shipping. Replayed by 1.1's code, an
 * order that 1.0 started would meet a step its history does not have: that is why 1.1 gets its own
 * app and task hub, and 1.0's orders finish on 1.0's app.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';
import { stageAppAsVersion } from '../embedded/staged-app.js';

/** The compiled workflow (the sample app runs from dist/, built by `tsc -b` with the project). */
const workflowFile = path.join('dist', 'src', 'functions', 'orders.js');

const giftWrapChanges: readonly { readonly find: string; readonly replace: string }[] = [
  {
    find: "context.df.setCustomStatus({ stage: 'shipping', total });",
    replace: "context.df.setCustomStatus({ stage: 'gift-wrapping', total });\n"
      + "    const giftWrap = yield context.df.callActivity('giftWrap', { orderId: order.orderId });\n"
      + "    context.df.setCustomStatus({ stage: 'shipping', total });",
  },
  { find: 'appVersion: shipment.shippedBy,', replace: 'appVersion: shipment.shippedBy,\n        giftWrap,' },
];

const giftWrapActivity = `
df.app.activity('giftWrap', {
    handler: (input) => ({ paper: 'gold', note: \`Order \${input.orderId} gift-wrapped by version 1.1\` }),
});
`;

export async function stageVersion1(sampleApp: string, target: string): Promise<void> {
  await stageAppAsVersion(sampleApp, target, '1.0.0');
}

export async function stageVersion1Dot1(sampleApp: string, target: string): Promise<void> {
  await stageAppAsVersion(sampleApp, target, '1.1.0');
  const file = path.join(target, workflowFile);
  let code = await readSampleFile(file);
  for (const change of giftWrapChanges) {
    const at = code.indexOf(change.find);
    if (at < 0 || code.indexOf(change.find, at + 1) >= 0) {
      throw new RouterError('INTERNAL', `The demo's 1.1 change no longer fits the sample app: "${change.find}" is not in ${file} exactly once. Update router/demo/demo-packages.ts to the sample app's workflow.`);
    }
    code = code.slice(0, at) + change.replace + code.slice(at + change.find.length);
  }
  await writeFile(file, `${code}${giftWrapActivity}`);
}

async function readSampleFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new RouterError('INVALID_CONFIGURATION', `${file} is missing: build the sample app first (npm run build).`, { cause });
  }
}
