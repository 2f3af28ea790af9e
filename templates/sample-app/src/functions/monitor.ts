import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { startedOnOrAfter } from '../orchestration-version';

interface MonitorInput {
  readonly sku: string;
  readonly iteration: number;
  readonly intervalSeconds: number;
  /** Stops after this many checks; without it the monitor runs until it is terminated. */
  readonly maxIterations?: number;
}

interface InventoryLevel {
  readonly sku: string;
  readonly available: number;
}

/** An eternal monitor: check, wait on a durable timer, then continueAsNew to keep history short. */
const inventoryMonitor: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<MonitorInput>();
  const level: InventoryLevel = yield context.df.callActivity('checkInventory', input.sku);
  const checks = input.iteration + 1;
  context.df.setCustomStatus({ checks, available: level.available });
  if (input.maxIterations !== undefined && checks >= input.maxIterations) {
    // From 1.1 on the last check also says whether to restock; a monitor started on 1.0 keeps 1.0's answer.
    return startedOnOrAfter(context.df.version, '1.1.0')
      ? { sku: input.sku, checks, available: level.available, restock: level.available < 50 }
      : { sku: input.sku, checks, available: level.available };
  }
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + input.intervalSeconds * 1000));
  context.df.continueAsNew({ ...input, iteration: checks });
  return undefined;
};
df.app.orchestration('inventoryMonitor', inventoryMonitor);

df.app.activity('checkInventory', {
  handler: (sku: string): InventoryLevel => ({ sku, available: [...sku].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 100 }),
});

app.http('startInventoryMonitor', {
  route: 'monitors/inventory/{sku}',
  methods: ['POST'],
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const text = await request.text();
    const options = (text === '' ? {} : JSON.parse(text)) as { intervalSeconds?: number; maxIterations?: number };
    const sku = request.params['sku'] ?? '';
    const input: MonitorInput = {
      sku,
      iteration: 0,
      intervalSeconds: typeof options.intervalSeconds === 'number' && options.intervalSeconds > 0 ? options.intervalSeconds : 300,
      ...(typeof options.maxIterations === 'number' ? { maxIterations: options.maxIterations } : {}),
    };
    const client = df.getClient(context);
    const instanceId = await client.startNew('inventoryMonitor', { instanceId: `inventory-${sku}`, input });
    return client.createCheckStatusResponse(request, instanceId);
  },
});
