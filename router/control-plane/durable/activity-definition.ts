import type { InvocationContext } from '@azure/functions';
import type { Outcome } from './outcome.js';

/** An activity as the control plane registers it; `durableClient` adds the durable client input. */
export interface ActivityDefinition {
  readonly handler: (input: unknown, context: InvocationContext) => Promise<Outcome<unknown>>;
  readonly durableClient?: boolean;
}
