// node:net in the browser bundle: the policy engine's IpAddress operators use only isIP and BlockList's
// IPv6 subnets (src/core/policy/operators.ts). Same answers, written on BigInt. Address grammar:
// RFC 4291 section 2.2, https://www.rfc-editor.org/rfc/rfc4291#section-2.2

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function v4ToBig(text: string): bigint {
  return text.split(".").reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n);
}

/** The 128-bit value of an IPv6 address (with an optional embedded IPv4 tail), or undefined. */
function v6ToBig(text: string): bigint | undefined {
  if (text.includes("%")) return undefined;
  let head = text;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = text.slice(lastColon + 1);
    if (!V4.test(v4)) return undefined;
    const n = v4ToBig(v4);
    tail = [n >> 16n, n & 0xffffn];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith("::")) head = `${head}`;
    else head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const parse = (s: string): bigint[] | undefined => {
    if (s === "") return [];
    const groups = s.split(":");
    const out: bigint[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const left = parse(halves[0] ?? "");
  const right = halves.length === 2 ? parse(halves[1] ?? "") : [];
  if (!left || !right) return undefined;
  const total = left.length + right.length + tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (total > 7) return undefined;
    groups = [...left, ...new Array<bigint>(8 - total).fill(0n), ...right, ...tail];
  } else {
    if (total !== 8) return undefined;
    groups = [...left, ...tail];
  }
  return groups.reduce((n, g) => (n << 16n) | g, 0n);
}

export function isIP(text: string): 0 | 4 | 6 {
  if (V4.test(text)) return 4;
  return v6ToBig(text) === undefined ? 0 : 6;
}

export class BlockList {
  private readonly subnets: { network: bigint; mask: bigint }[] = [];

  addSubnet(address: string, prefix: number, _family: "ipv6"): void {
    const n = v6ToBig(address);
    if (n === undefined) throw new TypeError(`not an IPv6 address: ${address}`);
    const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
    this.subnets.push({ network: n & mask, mask });
  }

  check(address: string, _family: "ipv6"): boolean {
    const n = v6ToBig(address);
    return n !== undefined && this.subnets.some((s) => (n & s.mask) === s.network);
  }
}
