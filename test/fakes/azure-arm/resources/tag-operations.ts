/**
 * Tags at a scope (a resource group, plan or site id): PUT replaces the whole set, PATCH merges,
 * replaces or deletes some (`operation`). Both answer 200 at once (the spec also allows a 202).
 */
import { ArmError, badRequest } from '../protocol/arm-error.js';
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import type { FakeArmState } from './fake-arm-state.js';
import { optionalObject, optionalString, optionalTags, requireBody } from './request-body.js';

interface Tagged {
  tags: Record<string, string>;
}

export function tagOperations(context: FakeArmContext): OperationHandlers {
  const { state } = context;
  const answer = (scope: string, target: Tagged): { status: number; body: Record<string, unknown> } => ({
    status: 200,
    body: { id: `/${scope}/providers/Microsoft.Resources/tags/default`, name: 'default', type: 'Microsoft.Resources/tags', properties: { tags: { ...target.tags } } },
  });
  return {
    Tags_CreateOrUpdateAtScope: {
      run: async ({ params, body }) => {
        const target = resolveScope(state, params['scope']!);
        const properties = optionalObject(requireBody(body), 'properties');
        if (properties === undefined) throw badRequest("The tags go in 'properties.tags'.", 'InvalidRequestContent');
        target.tags = optionalTags(properties) ?? {};
        return answer(params['scope']!, target);
      },
    },
    Tags_UpdateAtScope: {
      run: async ({ params, body }) => {
        const target = resolveScope(state, params['scope']!);
        const fields = requireBody(body);
        const operation = optionalString(fields, 'operation') ?? '';
        const properties = optionalObject(fields, 'properties');
        const tags = (properties === undefined ? undefined : optionalTags(properties)) ?? {};
        switch (operation.toLowerCase()) {
          case 'merge':
            target.tags = { ...target.tags, ...tags };
            break;
          case 'replace':
            target.tags = tags;
            break;
          case 'delete':
            target.tags = Object.fromEntries(Object.entries(target.tags).filter(([name, value]) => !(name in tags) || (tags[name] !== '' && tags[name] !== value)));
            break;
          default:
            throw badRequest(`'operation' must be Merge, Replace or Delete, not '${operation}'.`, 'InvalidRequestContent');
        }
        if (Object.keys(target.tags).length > 50) throw new ArmError(400, 'InvalidTag', 'A resource takes at most 50 tags.');
        return answer(params['scope']!, target);
      },
    },
  };
}

function resolveScope(state: FakeArmState, scope: string): Tagged {
  const parts = /^subscriptions\/[^/]+\/resourceGroups\/([^/]+)(?:\/providers\/Microsoft\.Web\/(serverfarms|sites)\/([^/]+))?$/i.exec(scope);
  if (parts === null) throw badRequest(`The fake ARM keeps tags of resource groups, plans and sites only, not of '/${scope}'.`);
  const [, group, type, name] = parts;
  if (type === undefined) return state.requireGroup(decodeURIComponent(group!));
  if (type.toLowerCase() === 'serverfarms') return state.requirePlan(decodeURIComponent(group!), decodeURIComponent(name!));
  return state.requireSite(decodeURIComponent(group!), decodeURIComponent(name!));
}
