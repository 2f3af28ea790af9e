import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { EntityContext } from 'durable-functions';

/** A durable entity counting things by key; the order workflow counts completed orders in it. */
df.app.entity('orderCounter', (context: EntityContext<number>) => {
  const current = context.df.getState(() => 0) ?? 0;
  switch (context.df.operationName) {
    case 'add':
      context.df.setState(current + (context.df.getInput<number>() ?? 1));
      break;
    case 'reset':
      context.df.setState(0);
      break;
    case 'get':
      context.df.return(current);
      break;
    default:
      throw new Error(`orderCounter has no operation "${context.df.operationName}"`);
  }
});

export const completedOrdersCounter = new df.EntityId('orderCounter', 'completed');

app.http('getCounter', {
  route: 'counters/{key}',
  methods: ['GET'],
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const client = df.getClient(context);
    const key = request.params['key'] ?? '';
    const state = await client.readEntityState<number>(new df.EntityId('orderCounter', key));
    return { jsonBody: { key, exists: state.entityExists, value: state.entityState ?? 0 } };
  },
});
