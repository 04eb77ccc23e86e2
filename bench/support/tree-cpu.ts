import { existsSync, readdirSync, readFileSync } from "node:fs";

/**
 * CPU seconds (user + system) used so far by process `root` and its descendants (the cluster primary and
 * its workers), from /proc (Linux; undefined elsewhere). Throughput on this shared machine moves with
 * everyone else's load; CPU per request hardly does, so the bench reports it too.
 */
export function treeCpuSeconds(root: number | undefined): number | undefined {
  if (root === undefined || !existsSync("/proc/self/stat")) return undefined;
  const ticks = 100; // USER_HZ, 100 on every Linux architecture Node supports
  const stats = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15).
        const f = readFileSync(`/proc/${d}/stat`, "utf8")
          .replace(/^.*\) /, "")
          .split(" ");
        return [{ pid: Number(d), ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / ticks }];
      } catch {
        return [];
      }
    });
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of stats) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  return stats.filter((p) => tree.has(p.pid)).reduce((sum, p) => sum + p.cpu, 0);
}
