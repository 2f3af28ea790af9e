import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAzuriteForTests } from '../../../fixtures/azurite.js';
import { sampleAppDir } from '../fixture-apps.js';
import { baseEnvironment, startHostProcess, waitForTerminalStatus, type HostProcess } from './host-process.js';

interface CheckStatusResponse {
  readonly id: string;
  readonly statusQueryGetUri: string;
  readonly sendEventPostUri: string;
  readonly terminatePostUri: string;
}

const azurite = await startAzuriteForTests();

/** The sample order-workflow app, unmodified and as built by the project, in the host against Azurite. */
describe('the sample app in the local host', () => {
  let host: HostProcess;
  let url: string;

  before(async () => {
    assert.ok(
      existsSync(path.join(sampleAppDir, 'dist', 'src', 'functions', 'orders.js')),
      'templates/sample-app is built by the root build (npx tsc -b)',
    );
    host = await startHostProcess({
      appDir: sampleAppDir,
      env: { ...baseEnvironment(), AzureWebJobsStorage: azurite.connectionString, TASKHUB_NAME: 'SampleE2E', LOG_LEVEL: 'warn' },
    });
    url = host.listening.url;
  });
  after(async () => {
    if (host && host.child.exitCode === null) await host.stop();
  });

  async function startOrder(order: Record<string, unknown>): Promise<CheckStatusResponse> {
    const response = await fetch(`${url}/api/orders`, { method: 'POST', body: JSON.stringify(order), headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 202, await response.clone().text());
    return (await response.json()) as CheckStatusResponse;
  }

  it('loads every function and reports its version', async () => {
    assert.deepEqual(host.listening.unsupported, []);
    assert.equal(host.listening.taskHubName, 'SampleE2E');
    assert.deepEqual(await (await fetch(`${url}/api/version`)).json(), { name: 'order-workflow-sample', version: '1.0.0' });
  });

  it('completes a small order: activity chain, fan-out/fan-in, payment with retries, entity signal', async () => {
    const started = await startOrder({
      orderId: 'order-small',
      customer: 'Ada',
      items: [
        { sku: 'pen', quantity: 3, unitPrice: 1.5 },
        { sku: 'pad', quantity: 2, unitPrice: 4 },
      ],
      paymentFailures: 1,
    });
    assert.equal(started.id, 'order-small');
    const status = await waitForTerminalStatus(started.statusQueryGetUri);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, {
      orderId: 'order-small',
      status: 'Completed',
      total: 12.5,
      paymentId: 'pay-order-small',
      trackingNumber: 'TRK-order-small',
      appVersion: '1.0.0',
    });
    assert.deepEqual(status.customStatus, { stage: 'completed', total: 12.5 });
  });

  it('waits for approval of a large order and completes when it arrives', async () => {
    const started = await startOrder({ orderId: 'order-approved', customer: 'Grace', items: [{ sku: 'desk', quantity: 2, unitPrice: 600 }] });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const order = (await (await fetch(`${url}/api/orders/order-approved`)).json()) as { customStatus?: { stage?: string } };
      if (order.customStatus?.stage === 'awaitingApproval') break;
      assert.ok(Date.now() < deadline, `never reached awaitingApproval: ${JSON.stringify(order)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const approval = await fetch(`${url}/api/orders/order-approved/approval`, {
      method: 'POST',
      body: JSON.stringify({ approved: true, by: 'Lin' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(approval.status, 202);
    const status = await waitForTerminalStatus(started.statusQueryGetUri);
    assert.equal((status.output as { status: string }).status, 'Completed');
  });

  it('rejects a large order when the approval timer fires first', async () => {
    const started = await startOrder({
      orderId: 'order-timeout',
      customer: 'Alan',
      items: [{ sku: 'server', quantity: 1, unitPrice: 5000 }],
      approvalTimeoutSeconds: 2,
    });
    const status = await waitForTerminalStatus(started.statusQueryGetUri);
    assert.deepEqual(status.output, { orderId: 'order-timeout', status: 'Rejected', total: 5000, reason: 'not approved within 2 s' });
  });

  it('counts completed orders in the entity, readable by the client', async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const counter = (await (await fetch(`${url}/api/counters/completed`)).json()) as { value: number };
      if (counter.value >= 2) break;
      assert.ok(Date.now() < deadline, `counter stuck at ${counter.value}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  it('runs the eternal monitor with continueAsNew until its last check', async () => {
    const response = await fetch(`${url}/api/monitors/inventory/widget`, { method: 'POST', body: JSON.stringify({ intervalSeconds: 1, maxIterations: 3 }) });
    assert.equal(response.status, 202);
    const { statusQueryGetUri } = (await response.json()) as CheckStatusResponse;
    const status = await waitForTerminalStatus(statusQueryGetUri);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, { sku: 'widget', checks: 3, available: 44 });
  });

  it('answers 400 for an invalid order and 404 for an unknown one', async () => {
    const invalid = await fetch(`${url}/api/orders`, { method: 'POST', body: JSON.stringify({ customer: 'x', items: [] }) });
    assert.equal(invalid.status, 400);
    assert.equal((await fetch(`${url}/api/orders/no-such-order`)).status, 404);
  });

  it('is also reachable through the plain durable HTTP API', async () => {
    const response = await fetch(`${url}/runtime/webhooks/durabletask/instances/order-small`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { name: string; runtimeStatus: string };
    assert.equal(body.name, 'processOrder');
    assert.equal(body.runtimeStatus, 'Completed');
  });
});
