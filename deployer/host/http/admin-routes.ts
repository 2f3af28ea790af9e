/**
 * The host's admin endpoints that clients of a Functions app rely on: `GET /admin/host/status`
 * (as the Functions host answers it: `{ state: "Running", version, ... }`), `GET /admin/host/ping`
 * and `GET /admin/functions`, which lists the functions (with those the host could not load marked
 * disabled) so a health check can tell the app answers and its functions are registered.
 */
import type { FastifyInstance } from 'fastify';
import type { UnsupportedBinding } from '../app-loading/binding-support.js';
import type { LoadedFunction } from '../app-loading/function-invoker.js';
import type { DurableOwnership } from '../host-contracts.js';
import { httpTriggerRouteOf } from './http-trigger-routes.js';

export interface AdminRoutesOptions {
  readonly hostId: string;
  readonly hostVersion: string;
  readonly app: { readonly name: string | undefined; readonly version: string | undefined };
  readonly functions: readonly LoadedFunction[];
  readonly unsupported: readonly UnsupportedBinding[];
  readonly routePrefix: string;
  readonly baseUrl: string;
  readonly startedAt: number;
  /** Whether this process works the app's task hub (holds its lease) or only serves its HTTP API. */
  readonly durable?: () => DurableOwnership;
}

export interface FunctionListing {
  readonly name: string;
  readonly language: 'node';
  readonly trigger: string | undefined;
  readonly invoke_url_template?: string;
  readonly config: { readonly bindings: readonly Readonly<Record<string, unknown>>[] };
  readonly isDisabled: boolean;
  readonly isDirect: boolean;
  readonly isProxy: boolean;
  readonly error?: string;
}

export function functionListings(options: Pick<AdminRoutesOptions, 'functions' | 'unsupported' | 'routePrefix' | 'baseUrl'>): FunctionListing[] {
  const loaded = options.functions.map((fn): FunctionListing => {
    const isHttp = fn.triggerType.toLowerCase() === 'httptrigger';
    return {
      name: fn.name,
      language: 'node',
      trigger: fn.triggerType,
      ...(isHttp ? { invoke_url_template: `${options.baseUrl}/${httpTriggerRouteOf(fn, options.routePrefix)}` } : {}),
      config: { bindings: Object.entries(fn.bindings).map(([name, binding]) => ({ ...binding, name })) },
      isDisabled: false,
      isDirect: true,
      isProxy: false,
    };
  });
  const byFunction = new Map<string, string[]>();
  for (const entry of options.unsupported) {
    byFunction.set(entry.function, [...(byFunction.get(entry.function) ?? []), entry.bindingType]);
  }
  const disabled = [...byFunction].map(
    ([name, types]): FunctionListing => ({
      name,
      language: 'node',
      trigger: undefined,
      config: { bindings: [] },
      isDisabled: true,
      isDirect: true,
      isProxy: false,
      error: `Not supported by the local host: ${types.join(', ')}`,
    }),
  );
  return [...loaded, ...disabled];
}

export function registerAdminRoutes(server: FastifyInstance, options: AdminRoutesOptions): void {
  const listings = functionListings(options);
  server.get('/admin/host/status', async () => ({
    id: options.hostId,
    state: 'Running',
    version: options.hostVersion,
    processUptime: Math.round(performance.now() - options.startedAt),
    app: { name: options.app.name ?? null, version: options.app.version ?? null },
    ...(options.durable === undefined ? {} : { durable: options.durable() }),
  }));
  server.get('/admin/host/ping', async (_request, reply) => reply.code(200).send());
  server.get('/admin/functions', async () => listings);
}
