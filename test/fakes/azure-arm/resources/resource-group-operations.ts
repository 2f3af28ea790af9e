/** Resource groups: create or update (201/200), get, and HEAD checkExistence (204/404). */
import { ArmError, badRequest } from '../protocol/arm-error.js';
import { groupJson } from './arm-representations.js';
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import { optionalObject, optionalString, optionalTags, requireBody, requireLocation } from './request-body.js';
import { normalizeLocation, resourceGroupNameProblem } from './resource-names.js';

export function resourceGroupOperations(context: FakeArmContext): OperationHandlers {
  const { state } = context;
  return {
    ResourceGroups_CreateOrUpdate: {
      run: async ({ params, body }) => {
        const name = params['resourceGroupName']!;
        const problem = resourceGroupNameProblem(name);
        if (problem !== undefined) throw badRequest(problem, 'InvalidResourceGroupName');
        const fields = requireBody(body);
        const location = requireLocation(fields);
        const tags = optionalTags(fields);
        const managedBy = optionalString(fields, 'managedBy');
        optionalObject(fields, 'properties');
        const existing = state.groups.get(name.toLowerCase());
        if (existing !== undefined) {
          if (normalizeLocation(existing.location) !== normalizeLocation(location)) {
            throw new ArmError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`);
          }
          existing.tags = tags ?? {};
          existing.managedBy = managedBy;
          return { status: 200, body: groupJson(state, existing) };
        }
        const created = { name, location: normalizeLocation(location), tags: tags ?? {}, managedBy };
        state.groups.set(name.toLowerCase(), created);
        return { status: 201, body: groupJson(state, created) };
      },
    },
    ResourceGroups_Get: {
      run: async ({ params }) => ({ status: 200, body: groupJson(state, state.requireGroup(params['resourceGroupName']!)) }),
    },
    ResourceGroups_CheckExistence: {
      run: async ({ params }) => ({ status: state.groups.has(params['resourceGroupName']!.toLowerCase()) ? 204 : 404 }),
    },
  };
}
