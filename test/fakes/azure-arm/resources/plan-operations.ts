/**
 * App Service plans: create or update (long-running), get, delete (200; 204 when there was none;
 * 409 while sites are on it) and list by resource group.
 */
import { ArmError, badRequest, conflict } from '../protocol/arm-error.js';
import { pageOf } from '../protocol/paging.js';
import { planJson } from './arm-representations.js';
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import { planKey, type PlanRecord } from './fake-arm-state.js';
import { acceptLongRunningPut } from './long-running-put.js';
import { flexConsumptionTier, parseSku } from './plan-skus.js';
import { optionalBoolean, optionalInteger, optionalObject, optionalString, optionalTags, requireBody, requireLocation } from './request-body.js';
import { normalizeLocation, planNameProblem } from './resource-names.js';

export function planOperations(context: FakeArmContext): OperationHandlers {
  const { state } = context;
  return {
    AppServicePlans_CreateOrUpdate: {
      ownsDelay: true,
      run: async ({ params, body }) => {
        const group = state.requireGroup(params['resourceGroupName']!);
        const name = params['name']!;
        const problem = planNameProblem(name);
        if (problem !== undefined) throw badRequest(problem);
        const fields = requireBody(body);
        const location = normalizeLocation(requireLocation(fields));
        const sku = parseSku(fields['sku']);
        const kind = optionalString(fields, 'kind') ?? 'app';
        const tags = optionalTags(fields) ?? {};
        const properties = optionalObject(fields, 'properties') ?? {};
        const reserved = optionalBoolean(properties, 'reserved', 'properties.reserved') ?? false;
        const settings: Record<string, unknown> = {};
        for (const field of ['maximumElasticWorkerCount', 'targetWorkerCount'] as const) {
          const value = optionalInteger(properties, field, `properties.${field}`);
          if (value !== undefined) settings[field] = value;
        }
        for (const field of ['zoneRedundant', 'perSiteScaling', 'elasticScaleEnabled'] as const) {
          const value = optionalBoolean(properties, field, `properties.${field}`);
          if (value !== undefined) settings[field] = value;
        }
        if (sku.tier === flexConsumptionTier && !reserved) {
          throw badRequest("Flex Consumption plans run on Linux only: set 'properties.reserved' to true.");
        }
        const key = planKey(group.name, name);
        const existing = state.plans.get(key);
        if (existing !== undefined) {
          if (existing.location !== location) throw conflict(`The plan '${name}' is in '${existing.location}'; a plan cannot move to '${location}'.`);
          const sites = state.sitesOnPlan(key);
          if ((existing.sku.tier === flexConsumptionTier) !== (sku.tier === flexConsumptionTier) && sites.length > 0) {
            throw conflict(`The plan '${name}' hosts ${sites.map((site) => site.name).join(', ')}: it cannot change between Flex Consumption and another tier.`);
          }
          if (existing.reserved !== reserved) throw conflict(`The plan '${name}' cannot change between Linux and Windows ('reserved').`);
          Object.assign(existing, { kind, sku, tags, settings });
          return acceptLongRunningPut(context, { operationId: 'AppServicePlans_CreateOrUpdate', resourceId: state.planId(existing), location }, existing, () => planJson(state, existing));
        }
        const created: PlanRecord = { name, resourceGroup: group.name, location, kind, sku, reserved, tags, settings, provisioningState: 'InProgress', pendingOperation: undefined };
        state.plans.set(key, created);
        return acceptLongRunningPut(context, { operationId: 'AppServicePlans_CreateOrUpdate', resourceId: state.planId(created), location }, created, () => {
          if (state.plans.get(key) !== created) throw new ArmError(404, 'ResourceNotFound', `The plan '${name}' was deleted while it was being created.`);
          return planJson(state, created);
        });
      },
    },
    AppServicePlans_Get: {
      run: async ({ params }) => ({ status: 200, body: planJson(state, state.requirePlan(params['resourceGroupName']!, params['name']!)) }),
    },
    AppServicePlans_Delete: {
      run: async ({ params }) => {
        const group = state.requireGroup(params['resourceGroupName']!);
        const key = planKey(group.name, params['name']!);
        const plan = state.plans.get(key);
        if (plan === undefined) return { status: 204 };
        const sites = state.sitesOnPlan(key);
        if (sites.length > 0) {
          throw conflict(`Server farm '${plan.name}' cannot be deleted because it has web app(s) ${sites.map((site) => site.name).join(', ')} assigned to it.`);
        }
        state.plans.delete(key);
        return { status: 200 };
      },
    },
    AppServicePlans_ListByResourceGroup: {
      run: async (request) => {
        const group = state.requireGroup(request.params['resourceGroupName']!);
        const plans = [...state.plans.values()]
          .filter((plan) => plan.resourceGroup.toLowerCase() === group.name.toLowerCase())
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((plan) => planJson(state, plan));
        return { status: 200, body: pageOf(plans, request, context.settings.pageSize, context.endpoint()) };
      },
    },
  };
}

