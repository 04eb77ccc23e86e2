import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { inTerminalForeground, parseProcStat } from "../../../src/cli/terminal.js";

describe("whether a process is in its terminal's foreground group", () => {
  test("/proc/<pid>/stat is read from the last parenthesis: a command name may hold both", () => {
    assert.deepEqual(parseProcStat("4242 (we ) ird (x) S 4200 4242 4200 34816 4242 4194304 0 0"), {
      pgrp: 4242,
      tpgid: 4242,
    });
    assert.deepEqual(parseProcStat("17 (sleep) S 1 17 17 0 -1 4194560"), { pgrp: 17, tpgid: -1 });
    assert.equal(parseProcStat("garbage"), undefined);
  });

  test("a process without a terminal is not; one gone is not", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore", detached: true });
    try {
      assert.equal(inTerminalForeground(child.pid!), false);
    } finally {
      child.kill("SIGKILL");
    }
    await new Promise((resolve) => child.once("exit", resolve));
    assert.equal(inTerminalForeground(child.pid!), false);
  });

  test("a process on a pty (Python's pty module: its own session, the foreground group) is", async () => {
    // The pty's process asks keyless's function about itself through a line on the pty and waits.
    const driver = `
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", "echo PID=$$; read line"])
out = b""
while b"\\n" not in out.split(b"PID=", 1)[-1]:
    select.select([fd], [], [], 30)
    out += os.read(fd, 1024)
print(out.split(b"PID=", 1)[1].split()[0].decode(), flush=True)
sys.stdin.readline()
os.write(fd, b"done\\n")
os.waitpid(pid, 0)
`;
    const python = spawn("python3", ["-c", driver], { stdio: ["pipe", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve) =>
      python.stdout.setEncoding("utf8").once("data", (d: string) => resolve(Number(d.trim()))),
    );
    try {
      assert.ok(pid > 0);
      assert.equal(inTerminalForeground(pid), true);
    } finally {
      python.stdin.end("go\n");
      await new Promise((resolve) => python.once("exit", resolve));
    }
  });
});
