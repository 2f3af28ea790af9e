/**
 * The real SDK clients pointed at a fake ARM, for tests: `endpoint` (and, for the autorest
 * ResourceManagementClient, `$host`) on the fake, `allowInsecureConnection`, and the bearer-token
 * policy — which refuses http:// whatever the options say — swapped for one that adds
 * `Authorization: Bearer <token from the credential>`. The Azure adapter does the same in its own
 * code when the ARM endpoint is a loopback http:// URL.
 */
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import { bearerTokenAuthenticationPolicyName, type Pipeline, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { FakeArm } from './fake-arm.js';

export interface FakeArmClients {
  readonly web: WebSiteManagementClient;
  readonly resources: ResourceManagementClient;
}

export interface FakeArmClientOptions {
  /** Retries of 429/5xx by the SDK's own retry policy (default: the SDK's, 3). */
  readonly maxRetries?: number;
}

export function fakeArmClients(fake: Pick<FakeArm, 'endpoint' | 'credential' | 'subscriptionId'>, options: FakeArmClientOptions = {}): FakeArmClients {
  const retryOptions = options.maxRetries === undefined ? {} : { retryOptions: { maxRetries: options.maxRetries } };
  const web = new WebSiteManagementClient(fake.credential, fake.subscriptionId, { endpoint: fake.endpoint, allowInsecureConnection: true, ...retryOptions });
  const resources = new ResourceManagementClient(fake.credential, fake.subscriptionId, { endpoint: fake.endpoint, $host: fake.endpoint, allowInsecureConnection: true, ...retryOptions });
  useLoopbackBearer(web.pipeline, fake.credential);
  useLoopbackBearer(resources.pipeline, fake.credential);
  return { web, resources };
}

function useLoopbackBearer(pipeline: Pipeline, credential: TokenCredential): void {
  pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
  const policy: PipelinePolicy = {
    name: 'fakeArmBearerPolicy',
    sendRequest: async (request, next) => {
      const token = await credential.getToken('https://management.azure.com/.default');
      if (token === null) throw new RouterError('INVALID_CONFIGURATION', 'The fake ARM credential gave no token.');
      request.headers.set('authorization', `Bearer ${token.token}`);
      return next(request);
    },
  };
  pipeline.addPolicy(policy, { phase: 'Sign' });
}
