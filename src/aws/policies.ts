import { type Policy, PolicyError, parsePolicy } from "../core/policy/index.js";
import type { PolicyParser } from "./iam/model.js";
import { AwsError } from "./wire/errors.js";

function parse(text: string, kind: "trust" | "identity"): Policy {
  try {
    return parsePolicy(text, { kind });
  } catch (error) {
    if (error instanceof PolicyError) throw new AwsError("MalformedPolicyDocument", error.awsMessage);
    throw error;
  }
}

/** The policy engine as IAM and STS use it: its PolicyError becomes AWS's MalformedPolicyDocument. */
export const enginePolicies: PolicyParser = {
  trust: (text) => parse(text, "trust"),
  identity: (text) => parse(text, "identity"),
};

/**
 * Parsed trust policies by their text: STS parses the same few trust policies on every call, and parsing
 * is most of the cost of a small policy. Bounded so a stream of distinct policies cannot grow it forever.
 */
export class PolicyCache {
  private readonly entries = new Map<string, Policy>();
  constructor(
    private readonly parseText: (text: string) => Policy,
    private readonly max = 1000,
  ) {}

  get(text: string): Policy {
    let policy = this.entries.get(text);
    if (!policy) {
      policy = this.parseText(text);
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(text, policy);
    }
    return policy;
  }
}
