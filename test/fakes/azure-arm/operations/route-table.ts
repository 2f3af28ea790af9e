/**
 * Matches request paths to operation path templates as ARM does: literal segments compare
 * case-insensitively (`resourceGroups`/`resourcegroups`, `Microsoft.Web`/`microsoft.web`), `{name}`
 * takes one segment, and `{scope}` (the tags operations') takes a whole resource id.
 */
export interface RouteSpec {
  readonly operationId: string;
  readonly method: string;
  readonly template: string;
  readonly apiVersion: string;
}

export type RouteMatch =
  | { readonly kind: 'operation'; readonly route: RouteSpec; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

interface CompiledRoute {
  readonly spec: RouteSpec;
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
}

export class RouteTable {
  readonly #routes: readonly CompiledRoute[];

  constructor(routes: readonly RouteSpec[]) {
    this.#routes = routes.map((spec) => ({ spec, ...compileTemplate(spec.template) }));
  }

  match(method: string, rawPath: string): RouteMatch {
    const trimmed = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const found = route.pattern.exec(trimmed);
      if (found === null) continue;
      if (route.spec.method !== method.toUpperCase()) {
        allowed.push(route.spec.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, index) => {
        params[name] = decodeSegment(found[index + 1] ?? '');
      });
      return { kind: 'operation', route: route.spec, params };
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'none' };
  }
}

function compileTemplate(template: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const source = template
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z]+)\}$/.exec(segment);
      if (param === null) return escapeRegExp(segment);
      paramNames.push(param[1]!);
      // A scope is an ARM id written without its leading slash: several segments.
      return param[1] === 'scope' ? '(.+?)' : '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`, 'i'), paramNames };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape stays as sent; validation of the name refuses it with a message.
    return segment;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
