/** The Location URL of a long-running PUT: 202 (Location, Retry-After) while it runs, then 200 with the resource. */
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import { operationResultUrl } from './long-running-put.js';

export function operationResultOperation(context: FakeArmContext): OperationHandlers {
  return {
    OperationResults_Get: {
      run: async ({ params }) => {
        const poll = context.operations.poll(params['operationId']!);
        if (poll.status === 200) return { status: 200, body: poll.body };
        return {
          status: 202,
          headers: { location: operationResultUrl(context, params['location']!, params['operationId']!), 'retry-after': String(poll.retryAfterSeconds) },
        };
      },
    },
  };
}
