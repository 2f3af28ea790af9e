/**
 * The ARM clients the adapter uses, built once with one configuration: retries (429 honouring
 * Retry-After, 5xx with exponential back-off: the pipeline's own policies), ARM's error bodies
 * normalised, and for the loopback test endpoint the bearer policy replaced (see loopback-arm-auth).
 */
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicyName, createDefaultHttpClient, type HttpClient, type Pipeline, type PipelinePolicy, type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { normalisedArmErrorBody } from './arm-error-body.js';
import { armEndpointOrigin, loopbackBearerPolicy, publicArmEndpoint } from './loopback-arm-auth.js';

export interface ArmRetryOptions {
  /** Retries after the first attempt (SDK default 3). */
  readonly maxRetries: number;
  /** Base of the exponential back-off for 5xx and network errors; 429 waits for Retry-After instead. */
  readonly retryDelayInMs: number;
  readonly maxRetryDelayInMs: number;
}

export interface ArmClientsConfig {
  readonly subscriptionId: string;
  readonly credential: TokenCredential;
  /** A loopback http endpoint (test setting); undefined for Azure's own. */
  readonly loopbackEndpoint: string | undefined;
  readonly retry: ArmRetryOptions;
}

export interface ArmClients {
  readonly web: WebSiteManagementClient;
  readonly resources: ResourceManagementClient;
  /** Base URL of ARM, without a trailing slash. */
  readonly endpoint: string;
  readonly allowInsecureConnection: boolean;
  /** Sends a hand-built request through the web client's pipeline (auth, retries), e.g. a body the SDK cannot send. */
  send(request: PipelineRequest): Promise<PipelineResponse>;
}

export function createArmClients(config: ArmClientsConfig): ArmClients {
  const loopback = config.loopbackEndpoint === undefined ? undefined : armEndpointOrigin(config.loopbackEndpoint);
  const endpoint = loopback ?? publicArmEndpoint;
  const common = {
    retryOptions: { ...config.retry },
    ...(loopback === undefined ? {} : { endpoint: loopback, allowInsecureConnection: true }),
  };
  const web = new WebSiteManagementClient(config.credential, config.subscriptionId, common);
  const resources = new ResourceManagementClient(config.credential, config.subscriptionId, {
    ...common,
    ...(loopback === undefined ? {} : { $host: loopback }),
  });
  for (const pipeline of [web.pipeline, resources.pipeline]) {
    pipeline.addPolicy(armErrorBodyPolicy, { afterPhase: 'Retry' });
    if (loopback !== undefined) replaceBearerPolicy(pipeline, loopbackBearerPolicy(config.credential, loopback));
  }
  const httpClient: HttpClient = createDefaultHttpClient();
  return {
    web,
    resources,
    endpoint,
    allowInsecureConnection: loopback !== undefined,
    send: (request) => web.pipeline.sendRequest(httpClient, request),
  };
}

function replaceBearerPolicy(pipeline: Pipeline, replacement: PipelinePolicy): void {
  pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
  pipeline.addPolicy(replacement, { phase: 'Sign' });
}

/** Rewrites App Service's unwrapped PascalCase error bodies into ARM's envelope (see arm-error-body). */
const armErrorBodyPolicy: PipelinePolicy = {
  name: 'armErrorBodyPolicy',
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status < 400) return response;
    const normalised = normalisedArmErrorBody(response.bodyAsText ?? undefined);
    return normalised === undefined ? response : { ...response, bodyAsText: normalised };
  },
};
