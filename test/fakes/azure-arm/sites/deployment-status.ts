/**
 * A OneDeploy deployment and its status as Kudu reports it (`/api/deployments/...`, which ARM's
 * `GET .../extensions/onedeploy` wraps): `status` 0 Pending, 1 Building, 2 Deploying, 3 Failed,
 * 4 Success, with `complete`, `active`, `status_text`, `message`, `received_time`, ... Field names
 * and codes follow Kudu's DeployResult and the DeployStatus enum of Azure Functions Core Tools.
 * Where the live service puts a failure's reason was not verified: the fake puts the reason in
 * `status_text` (Kudu leaves it '' and logs the reason at `log_url`).
 */
export const deployStatus = { pending: 0, building: 1, deploying: 2, failed: 3, success: 4 } as const;
export type DeployStatusCode = (typeof deployStatus)[keyof typeof deployStatus];

export interface DeploymentRecord {
  readonly id: string;
  status: DeployStatusCode;
  statusText: string;
  readonly receivedTime: string;
  startTime: string | undefined;
  endTime: string | undefined;
  /** The package URL without its query. */
  readonly packageUri: string;
}

export function isComplete(record: DeploymentRecord): boolean {
  return record.status === deployStatus.failed || record.status === deployStatus.success;
}

/** Kudu's DeployResult fields for one deployment; `active` is the site's latest successful one. */
export function deploymentStatusJson(record: DeploymentRecord, context: { siteName: string; statusUrl: string; active: boolean; lastSuccessEndTime: string | undefined }): Record<string, unknown> {
  return {
    id: record.id,
    status: record.status,
    status_text: record.statusText,
    author_email: 'N/A',
    author: 'N/A',
    deployer: 'OneDeploy',
    message: 'OneDeploy',
    progress: '',
    received_time: record.receivedTime,
    start_time: record.startTime ?? null,
    end_time: record.endTime ?? null,
    last_success_end_time: context.lastSuccessEndTime ?? null,
    complete: isComplete(record),
    active: context.active,
    is_temp: false,
    is_readonly: true,
    url: context.statusUrl,
    log_url: null,
    site_name: context.siteName,
    provisioningState: record.status === deployStatus.success ? 'Succeeded' : record.status === deployStatus.failed ? 'Failed' : 'InProgress',
  };
}
