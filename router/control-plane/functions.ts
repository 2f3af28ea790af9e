/**
 * The control plane app's entry point (its package.json `main`): registers its orchestrations,
 * activities and HTTP triggers with durable-functions 3.x / @azure/functions 4, as any Functions
 * app does, so the same code runs in the local host and as a Function App.
 */
import { app, type HttpHandler } from '@azure/functions';
import * as df from 'durable-functions';
import { drainActivities } from './drain/drain-activities.js';
import { drainMonitorOrchestrator } from './drain/drain-monitor-orchestration.js';
import type { ActivityDefinition } from './durable/activity-definition.js';
import { orchestrationNames } from './function-names.js';
import { releaseActivities } from './releases/release-activities.js';
import { getRelease, startRelease } from './releases/release-api.js';
import { releaseOrchestrator } from './releases/release-orchestration.js';
import { controlPlaneRuntime } from './runtime/control-plane-runtime.js';
import { decommissionOrchestrator, drainOrchestrator, makeCurrentOrchestrator } from './versions/operator-orchestrations.js';
import { versionActivities } from './versions/version-activities.js';
import { decommissionVersionNow, drainVersionNow, makeVersionCurrent } from './versions/versions-api.js';

// A release upload (up to the package limit) streams to disk instead of arriving whole in memory.
app.setup({ enableHttpStream: true });

df.app.orchestration(orchestrationNames.release, releaseOrchestrator);
df.app.orchestration(orchestrationNames.drainMonitor, drainMonitorOrchestrator);
df.app.orchestration(orchestrationNames.makeCurrent, makeCurrentOrchestrator);
df.app.orchestration(orchestrationNames.drain, drainOrchestrator);
df.app.orchestration(orchestrationNames.decommission, decommissionOrchestrator);

const activities: Record<string, ActivityDefinition> = { ...releaseActivities, ...drainActivities, ...versionActivities };
for (const [name, activity] of Object.entries(activities)) {
  df.app.activity(name, { handler: activity.handler, ...(activity.durableClient === true ? { extraInputs: [df.input.durableClient()] } : {}) });
}

function api(name: string, method: 'GET' | 'POST' | 'DELETE', route: string, handler: HttpHandler): void {
  // The key is checked by the handlers themselves (the same way locally and on Azure).
  app.http(name, { methods: [method], route, authLevel: 'anonymous', extraInputs: [df.input.durableClient()], handler });
}
api('apiStartRelease', 'POST', 'releases', startRelease);
api('apiGetRelease', 'GET', 'releases/{id}', getRelease);
api('apiMakeCurrent', 'POST', 'versions/{routeKey}/current', makeVersionCurrent);
api('apiDrain', 'POST', 'versions/{routeKey}/drain', drainVersionNow);
api('apiDecommission', 'DELETE', 'versions/{routeKey}', decommissionVersionNow);

// Locally the apps are child processes of this one: bring back those that were running before a restart.
app.hook.appStart(async () => {
  const runtime = controlPlaneRuntime();
  try {
    await runtime.start();
  } catch (error) {
    // Not fatal: the next activity that needs the platform tries again, and says why if it still fails.
    runtime.logger.error({ err: error }, 'the apps of this router could not be resumed');
  }
});
app.hook.appTerminate(() => controlPlaneRuntime().stop());
