import type { Site } from '@azure/arm-appservice';
import { RouterError } from '../../../shared/errors/router-error.js';
import type { PlatformApp, PlatformAppState } from '../platform.js';
import type { OwnedSite } from './site-tags.js';

/** What the port shows of a site this router owns. Pure. */
export function platformAppOf(site: Site, owned: OwnedSite, settingNames: readonly string[]): PlatformApp {
  return {
    name: site.name ?? '',
    url: `https://${hostNameOf(site)}`,
    routeKey: owned.routeKey,
    version: owned.version,
    tags: { ...owned.callerTags },
    state: stateOf(site, owned),
    settingNames: [...settingNames].sort(),
    deployment: owned.deployment === undefined ? undefined : { ...owned.deployment },
    createdAt: owned.createdAt,
  };
}

function stateOf(site: Site, owned: OwnedSite): PlatformAppState {
  if (owned.deployment === undefined) return 'not-deployed';
  return site.state?.toLowerCase() === 'stopped' ? 'stopped' : 'running';
}

/** The host name ARM gave the site (never built by hand: new sites get a unique, regional one). */
function hostNameOf(site: Site): string {
  const hostName = site.defaultHostName ?? site.enabledHostNames?.find((name) => !name.includes('.scm.'));
  if (hostName === undefined || hostName === '') {
    throw new RouterError('PLATFORM_OPERATION_FAILED', `ARM gave the site "${site.name ?? '?'}" no host name yet; try again once it is created.`, {
      details: { appName: site.name },
    });
  }
  return hostName;
}
