/** The control plane app's function names, shared by the orchestrations that call them and the registration. */

export const orchestrationNames = Object.freeze({
  release: 'release',
  drainMonitor: 'drainMonitor',
  makeCurrent: 'makeCurrentOperation',
  drain: 'drainOperation',
  decommission: 'decommissionOperation',
});

export const activityNames = Object.freeze({
  plan: 'releasePlan',
  provision: 'releaseProvision',
  configure: 'releaseConfigure',
  deploy: 'releaseDeploy',
  probe: 'releaseProbe',
  placeInstances: 'releasePlaceInstances',
  record: 'releaseRecord',
  promote: 'releasePromote',
  abandon: 'releaseAbandon',
  finish: 'releaseFinish',
  ensureDrainMonitors: 'ensureDrainMonitors',
  stopDrainMonitor: 'stopDrainMonitor',
  drainCheck: 'drainCheck',
  setCurrent: 'versionSetCurrent',
  drain: 'versionDrain',
  decommission: 'versionDecommission',
  deleteApp: 'versionDeleteApp',
});
