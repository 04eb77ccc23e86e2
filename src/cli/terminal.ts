import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Whether process `pid` is in the foreground process group of a controlling terminal. A terminal
 * sends the signals its keys generate (^C SIGINT, ^\ SIGQUIT) to every process of that group
 * (POSIX, General Terminal Interface, "Special Characters":
 * https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/V1_chap11.html#tag_11_01_09), so such a
 * process has had the signal already. False when it has no terminal, when it cannot be inspected
 * (gone, no /proc and no ps), or when its group is in the background.
 */
export function inTerminalForeground(pid: number): boolean {
  const groups = fromProc(pid) ?? fromPs(pid);
  return groups !== undefined && groups.tpgid > 0 && groups.pgrp === groups.tpgid;
}

interface Groups {
  /** The process's group. */
  readonly pgrp: number;
  /** The foreground group of its controlling terminal (-1 or 0: no terminal). */
  readonly tpgid: number;
}

/**
 * Linux: /proc/<pid>/stat, "pid (comm) state ppid pgrp session tty_nr tpgid …"
 * (https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html); comm may hold spaces and parentheses,
 * so the fields are counted from the last ")".
 */
export function parseProcStat(text: string): Groups | undefined {
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const pgrp = Number(fields[2]);
  const tpgid = Number(fields[5]);
  return Number.isInteger(pgrp) && Number.isInteger(tpgid) ? { pgrp, tpgid } : undefined;
}

function fromProc(pid: number): Groups | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** Elsewhere (macOS, the BSDs): ps, whose `pgid` and `tpgid` keywords POSIX and BSD ps share. */
function fromPs(pid: number): Groups | undefined {
  try {
    const [pgrp, tpgid] = execFileSync("ps", ["-o", "pgid=,tpgid=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 2_000,
    })
      .trim()
      .split(/\s+/)
      .map(Number);
    return Number.isInteger(pgrp) && Number.isInteger(tpgid) ? { pgrp: pgrp!, tpgid: tpgid! } : undefined;
  } catch {
    return undefined;
  }
}
