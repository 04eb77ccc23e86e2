// The one use of Buffer the policy engine makes (BinaryEquals, src/core/policy/operators.ts): decode
// base64 and compare bytes. Like Node's decoder, characters outside the alphabet are skipped and the
// URL-safe alphabet is accepted. https://nodejs.org/api/buffer.html#buffers-and-character-encodings
interface Bytes {
  readonly bytes: Uint8Array;
  equals(other: Bytes): boolean;
}

function from(text: string, _encoding: "base64"): Bytes {
  const clean = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .replace(/[^A-Za-z0-9+/]/g, "");
  const usable = clean.length % 4 === 1 ? clean.slice(0, -1) : clean;
  let bin = "";
  try {
    bin = atob(usable + "=".repeat((4 - (usable.length % 4)) % 4));
  } catch {
    bin = "";
  }
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return {
    bytes,
    equals: (other) => bytes.length === other.bytes.length && bytes.every((b, i) => b === other.bytes[i]),
  };
}

export const Buffer = { from };
