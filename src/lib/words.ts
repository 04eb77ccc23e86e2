/** "in 14 minutes" / "3 hours ago": a time difference in words, to the largest whole unit. */
export function relativeTime(deltaSeconds: number): string {
  const abs = Math.abs(deltaSeconds);
  const units: [number, string][] = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  const [size, name] = units.find(([s]) => abs >= s) ?? [1, "second"];
  const n = Math.floor(abs / size);
  const text = `${n} ${name}${n === 1 ? "" : "s"}`;
  return deltaSeconds >= 0 ? `in ${text}` : `${text} ago`;
}
