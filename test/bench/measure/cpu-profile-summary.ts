/** The hottest functions of a V8 CPU profile (the .cpuprofile files node --cpu-prof writes). Pure. */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotFrame {
  /** "name (file:line)", the file relative to `root` when under it. */
  readonly frame: string;
  readonly selfMs: number;
  /** Share of the busy time, i.e. excluding (idle) and (program). */
  readonly selfShare: number;
}

const notBusy = new Set(['(idle)', '(program)']);

/** Self time per function (summed over every call site), hottest first. */
export function hottestFrames(profile: CpuProfile, root: string, limit: number): HotFrame[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i] as number);
    // timeDeltas[i] is the time before sample i; the first one is relative to the profile's start.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (notBusy.has(functionName)) continue;
    const file = url.startsWith(`file://${root}/`) ? url.slice(`file://${root}/`.length) : url;
    const frame = `${functionName || '(anonymous)'}${file ? ` (${file}:${lineNumber + 1})` : ''}`;
    selfUs.set(frame, (selfUs.get(frame) ?? 0) + delta);
    busyUs += delta;
  }
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, selfShare: busyUs > 0 ? us / busyUs : 0 }));
}
