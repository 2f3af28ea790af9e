/**
 * The site host's keys, which are the real keys of its local Functions host: listHostKeys
 * (`{ masterKey, functionKeys, systemKeys }`) and createOrUpdateHostSecret. The latter wants the
 * body the live service wants, `{ properties: { name, value } }`, and answers the flat `{ name,
 * value }` the SDK sends with the live service's 400 (Azure/azure-rest-api-specs#14557). Its answer
 * is wrapped in the ARM envelope, as the host wraps answers to ARM (`properties: { name, value }`;
 * the live shape is unverified): re-read the keys with listHostKeys.
 */
import { newKeyValue } from '../../../../deployer/host/keys/host-secrets.js';
import { badRequest } from '../protocol/arm-error.js';
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import { isObject, optionalString, requireBody } from './request-body.js';

const keyGroups = { functionkeys: 'functionKeys', systemkeys: 'systemKeys', masterkey: 'masterKey' } as const;

export function siteKeyOperations(context: FakeArmContext): OperationHandlers {
  const { state } = context;
  return {
    WebApps_ListHostKeys: {
      run: async ({ params }) => {
        const site = state.requireSite(params['resourceGroupName']!, params['name']!);
        const secrets = await site.host.hostSecrets();
        return { status: 200, body: { masterKey: secrets.masterKey, functionKeys: { ...secrets.functionKeys }, systemKeys: { ...secrets.systemKeys } } };
      },
    },
    WebApps_CreateOrUpdateHostSecret: {
      run: async ({ params, body }) => {
        const site = state.requireSite(params['resourceGroupName']!, params['name']!);
        const keyType = params['keyType']!;
        const keyName = params['keyName']!;
        const group = keyGroups[keyType.toLowerCase() as keyof typeof keyGroups];
        if (group === undefined) throw badRequest(`The key type '${keyType}' is not one of functionKeys, systemKeys, masterKey.`);
        const fields = requireBody(body);
        const properties = fields['properties'];
        if (!isObject(properties)) throw badRequest('Properties object is not present in the request body.');
        const name = optionalString(properties, 'name', 'properties.name');
        if (name !== undefined && name !== keyName) throw badRequest(`The key's name in the body ('${name}') differs from the one in the path ('${keyName}').`);
        const value = optionalString(properties, 'value', 'properties.value') ?? newKeyValue();
        if (!/^[\x21-\x7e]{16,256}$/.test(value)) throw badRequest('A key value must be 16 to 256 printable characters without spaces.');
        const before = await site.host.hostSecrets();
        const existed = group === 'masterKey' || Object.hasOwn(before[group], keyName);
        await site.host.setHostSecret(group, keyName, value);
        return {
          status: existed ? 200 : 201,
          body: {
            id: `${state.siteId(site)}/host/default/${group}/${keyName}`,
            name: keyName,
            type: `Microsoft.Web/sites/host/${group}`,
            location: site.location,
            properties: { name: keyName, value },
          },
        };
      },
    },
  };
}
