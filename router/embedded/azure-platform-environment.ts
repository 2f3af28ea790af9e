import { azureSettingNames } from '../../deployer/platform/azure/azure-platform-settings.js';

/**
 * What the control plane needs from this process's environment to run apps on Azure: the Azure
 * platform's settings and what DefaultAzureCredential reads (a service principal, a workload or
 * managed identity). The control plane's process gets only its own settings, as an app on Azure
 * does, so these are handed over by name.
 */
const credentialVariables = [
  'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_AUTHORITY_HOST', 'AZURE_ADDITIONALLY_ALLOWED_TENANTS',
  'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'IDENTITY_SERVER_THUMBPRINT', 'MSI_ENDPOINT', 'MSI_SECRET', 'IMDS_ENDPOINT',
] as const;

export function azurePlatformEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const names = [...Object.values(azureSettingNames).filter((name) => name !== azureSettingNames.routerStorage), ...credentialVariables];
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') picked[name] = value;
  }
  return picked;
}
