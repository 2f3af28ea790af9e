/**
 * The HTTP-triggered functions of an app as one route table: `routePrefix` + each trigger's
 * `route` (default: the function name), its `methods` (default: all), ordered by ASP.NET route
 * precedence so the most specific template wins. Pure: no I/O.
 */
import { RouterError } from '../../../shared/errors/router-error.js';
import type { FunctionDescriptor } from '../host-contracts.js';
import { requirementOfAuthLevel, type KeyRequirement } from '../keys/key-requirement.js';
import { compareRoutePrecedence, matchRouteTemplate, parseRouteTemplate, type RouteTemplate } from './route-template.js';

export interface HttpTriggerRoute {
  readonly functionName: string;
  /** The full template, prefix included, as the host matches it (no leading slash). */
  readonly template: RouteTemplate;
  /** Upper-case methods, or undefined for all methods. */
  readonly methods: ReadonlySet<string> | undefined;
  /** The key its `authLevel` asks for, when the host enforces keys. */
  readonly requirement: KeyRequirement;
}

export interface HttpRouteMatch {
  readonly route: HttpTriggerRoute;
  readonly params: Record<string, string>;
}

export interface HttpRouteTable {
  readonly routes: readonly HttpTriggerRoute[];
  /** `path` is the request path without its query string, still percent-encoded. */
  match(method: string, path: string): HttpRouteMatch | undefined;
}

export function triggerBindingOf(fn: FunctionDescriptor): Readonly<Record<string, unknown>> | undefined {
  return Object.values(fn.bindings).find((binding) => binding['type'] === fn.triggerType);
}

function joinRoute(routePrefix: string, route: string): string {
  const prefix = routePrefix.replace(/^\/+|\/+$/g, '');
  const relative = route.replace(/^\/+|\/+$/g, '');
  return [prefix, relative].filter((part) => part !== '').join('/');
}

function methodsOf(functionName: string, binding: Readonly<Record<string, unknown>>): ReadonlySet<string> | undefined {
  const methods = binding['methods'];
  if (methods === undefined || methods === null) return undefined;
  if (!Array.isArray(methods) || methods.some((m) => typeof m !== 'string')) {
    throw new RouterError('INVALID_CONFIGURATION', `The HTTP trigger of function "${functionName}" has invalid "methods": expected an array of method names.`);
  }
  return methods.length === 0 ? undefined : new Set(methods.map((m: string) => m.toUpperCase()));
}

/** Two templates that differ only in parameter names match the same requests. */
function structuralKey(template: RouteTemplate): string {
  return template.segments
    .map((segment) =>
      segment.parts
        .map((part) =>
          part.kind === 'literal'
            ? part.text.toLowerCase()
            : `{${part.catchAll ? '*' : ''}${part.constraints.map((c) => `:${c.source}`).join('')}${part.optional ? '?' : ''}}`,
        )
        .join(''),
    )
    .join('/');
}

function overlaps(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  return [...a].some((method) => b.has(method));
}

/** The template (relative to the host's origin, no leading slash) that an HTTP function answers on. */
export function httpTriggerRouteOf(fn: FunctionDescriptor, routePrefix: string): string {
  const binding = triggerBindingOf(fn);
  const route = binding?.['route'];
  return joinRoute(routePrefix, typeof route === 'string' && route.trim() !== '' ? route : fn.name);
}

export function compileHttpTriggerRoutes(functions: readonly FunctionDescriptor[], routePrefix: string): HttpRouteTable {
  const routes: HttpTriggerRoute[] = [];
  for (const fn of functions) {
    if (fn.triggerType.toLowerCase() !== 'httptrigger') continue;
    const binding = triggerBindingOf(fn) ?? {};
    let template: RouteTemplate;
    try {
      template = parseRouteTemplate(httpTriggerRouteOf(fn, routePrefix));
    } catch (error) {
      throw new RouterError('INVALID_CONFIGURATION', `Function "${fn.name}": ${(error as Error).message}`, { cause: error });
    }
    const route: HttpTriggerRoute = { functionName: fn.name, template, methods: methodsOf(fn.name, binding), requirement: requirementOfAuthLevel(binding['authLevel']) };
    const clash = routes.find((other) => structuralKey(other.template) === structuralKey(template) && overlaps(other.methods, route.methods));
    if (clash) {
      throw new RouterError(
        'INVALID_CONFIGURATION',
        `Functions "${clash.functionName}" and "${fn.name}" answer the same route "${template.source}" for the same methods; give one of them another route or method.`,
      );
    }
    routes.push(route);
  }
  routes.sort((a, b) => compareRoutePrecedence(a.template, b.template) || (a.functionName < b.functionName ? -1 : 1));

  return {
    routes,
    match(method, path) {
      const upper = method.toUpperCase();
      for (const route of routes) {
        if (route.methods !== undefined && !route.methods.has(upper)) continue;
        const params = matchRouteTemplate(route.template, path);
        if (params) return { route, params };
      }
      return undefined;
    },
  };
}
