/**
 * The app's durable functions by kind. Function names are case-insensitive in Azure Functions
 * (and entity names arrive lower-cased), so callers' names resolve to the registered spelling.
 */
import type { FunctionDescriptor } from '../../host-contracts.js';
import type { FunctionCatalog } from '../orchestration/episode.js';

type DurableKind = 'orchestrationTrigger' | 'activityTrigger' | 'entityTrigger';

export class FunctionDirectory implements FunctionCatalog {
  private readonly byKind = new Map<DurableKind, Map<string, string>>();

  constructor(functions: readonly FunctionDescriptor[]) {
    for (const fn of functions) {
      const kind = fn.triggerType as DurableKind;
      if (kind !== 'orchestrationTrigger' && kind !== 'activityTrigger' && kind !== 'entityTrigger') continue;
      let names = this.byKind.get(kind);
      if (!names) this.byKind.set(kind, (names = new Map()));
      names.set(fn.name.toLowerCase(), fn.name);
    }
  }

  orchestrator(name: string): string | undefined {
    return this.byKind.get('orchestrationTrigger')?.get(name.toLowerCase());
  }

  activity(name: string): string | undefined {
    return this.byKind.get('activityTrigger')?.get(name.toLowerCase());
  }

  entity(name: string): string | undefined {
    return this.byKind.get('entityTrigger')?.get(name.toLowerCase());
  }

  hasOrchestrator(name: string): boolean {
    return this.orchestrator(name) !== undefined;
  }

  hasActivity(name: string): boolean {
    return this.activity(name) !== undefined;
  }

  hasEntity(name: string): boolean {
    return this.entity(name) !== undefined;
  }
}
