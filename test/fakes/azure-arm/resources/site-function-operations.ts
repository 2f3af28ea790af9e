/**
 * listFunctions asks the site's running host (GET /admin/functions with its master key) and answers
 * FunctionEnvelopes with the snake_case wire names (`function_app_id`, `invoke_url_template`, ...),
 * invoke URLs on the site's HTTPS host name. The `*_href` fields point at Kudu's VFS on the live
 * service; the fake has no Kudu and leaves them out. syncFunctionTriggers answers 200
 * `{"status":"success"}` as the live service has been seen to (the spec and SDK say 204), or 204
 * when the fake is started with `syncTriggersStatus: 204`.
 */
import { ArmError } from '../protocol/arm-error.js';
import { pageOf } from '../protocol/paging.js';
import type { HostFunctionListing } from '../sites/site-host.js';
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import type { FakeArmState, SiteRecord } from './fake-arm-state.js';

export function siteFunctionOperations(context: FakeArmContext): OperationHandlers {
  const { state } = context;
  return {
    WebApps_ListFunctions: {
      run: async (request) => {
        const site = state.requireSite(request.params['resourceGroupName']!, request.params['name']!);
        const listings = await site.host.listFunctions();
        if (listings === undefined) {
          // Nothing deployed: no functions. Deployed but not running (stopped, crashed): the host cannot be asked.
          if (!(await site.host.deployed())) return { status: 200, body: { value: [] } };
          throw new ArmError(400, 'BadRequest', 'Encountered an error (ServiceUnavailable) from host runtime.');
        }
        const envelopes = listings.map((listing) => functionEnvelope(state, site, listing));
        return { status: 200, body: pageOf(envelopes, request, context.settings.pageSize, context.endpoint()) };
      },
    },
    WebApps_SyncFunctionTriggers: {
      run: async ({ params }) => {
        state.requireSite(params['resourceGroupName']!, params['name']!);
        // The local host registers its triggers when it starts: there is nothing to sync.
        return context.settings.syncTriggersStatus === 204 ? { status: 204 } : { status: 200, body: { status: 'success' } };
      },
    },
  };
}

function functionEnvelope(state: FakeArmState, site: SiteRecord, listing: HostFunctionListing): Record<string, unknown> {
  const siteId = state.siteId(site);
  return {
    id: `${siteId}/functions/${listing.name}`,
    name: `${site.name}/${listing.name}`,
    type: 'Microsoft.Web/sites/functions',
    location: site.location,
    properties: {
      name: listing.name,
      function_app_id: siteId,
      config: { ...listing.config, ...(listing.trigger === undefined ? {} : { trigger: listing.trigger }) },
      files: null,
      test_data: null,
      ...(listing.invoke_url_template === undefined ? {} : { invoke_url_template: onSiteHost(listing.invoke_url_template, site.host.hostName) }),
      language: listing.language ?? 'node',
      isDisabled: listing.isDisabled === true,
    },
  };
}

/** The host knows its own http://127.0.0.1:<app port>; callers reach it at https://<default host name>. */
function onSiteHost(template: string, hostName: string): string {
  try {
    const url = new URL(template);
    return `https://${hostName}${url.pathname}${url.search}`;
  } catch {
    return template;
  }
}
