/**
 * checkNameAvailability: a site name is available when it is valid, no site of the fake has it and
 * no one else in Azure does (`faults.reserveSiteName`); names compare case-insensitively. Other
 * resource types are only checked for validity.
 */
import { badRequest } from '../protocol/arm-error.js';
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import { optionalString, requireBody } from './request-body.js';
import { siteNameProblem } from './resource-names.js';

const types = ['Site', 'Slot', 'HostingEnvironment', 'PublishingUser', 'Microsoft.Web/sites', 'Microsoft.Web/sites/slots', 'Microsoft.Web/hostingEnvironments', 'Microsoft.Web/publishingUsers'];
const siteTypes = ['site', 'microsoft.web/sites'];

export function nameAvailabilityOperation(context: FakeArmContext): OperationHandlers {
  return {
    CheckNameAvailability: {
      run: async ({ body }) => {
        const fields = requireBody(body);
        const name = optionalString(fields, 'name');
        const type = optionalString(fields, 'type');
        if (name === undefined || name === '') throw badRequest("The request needs the 'name' to check.", 'InvalidRequestContent');
        if (type === undefined || !types.some((known) => known.toLowerCase() === type.toLowerCase())) {
          throw badRequest(`'type' must be one of ${types.join(', ')}.`, 'InvalidRequestContent');
        }
        const problem = siteNameProblem(name);
        if (problem !== undefined) return { status: 200, body: { nameAvailable: false, reason: 'Invalid', message: problem } };
        if (siteTypes.includes(type.toLowerCase()) && (context.state.sites.has(name.toLowerCase()) || context.faults.isReserved(name))) {
          return { status: 200, body: { nameAvailable: false, reason: 'AlreadyExists', message: `Hostname '${name}' already exists. Please select a different name.` } };
        }
        return { status: 200, body: { nameAvailable: true } };
      },
    },
  };
}
