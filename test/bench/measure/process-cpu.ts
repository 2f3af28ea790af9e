import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, almost always 100). */
export function clockTicksPerSecond(): number {
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  if (!Number.isInteger(ticks) || ticks <= 0) throw new Error(`getconf CLK_TCK answered "${ticks}", expected a positive integer`);
  return ticks;
}

/**
 * utime + stime in clock ticks of `pid` and every live descendant (nginx workers, cluster workers):
 * /proc/<pid>/stat counts all threads of a process, and /proc/<pid>/task/<tid>/children names its
 * children. A process that exits between the reads contributes what was read before it went.
 */
export function processTreeCpuTicks(pid: number): number {
  const stat = readProcFile(`/proc/${pid}/stat`);
  if (stat === undefined) return 0;
  let ticks = cpuTicksFromStat(stat);
  for (const child of childPids(pid)) ticks += processTreeCpuTicks(child);
  return ticks;
}

/** Fields after the command name, which is in parentheses and may itself contain spaces or ")". */
export function cpuTicksFromStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3 (state).
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc stat line: ${stat}`);
  return utime + stime;
}

function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch (error) {
    if (isGone(error)) return [];
    throw error;
  }
  const children: number[] = [];
  for (const task of tasks) {
    const list = readProcFile(`/proc/${pid}/task/${task}/children`);
    if (list === undefined) continue;
    for (const child of list.trim().split(' ')) if (child !== '') children.push(Number(child));
  }
  return children;
}

function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    // The process or thread exited after we listed it: it simply has nothing more to count.
    if (isGone(error)) return undefined;
    throw error;
  }
}

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}
