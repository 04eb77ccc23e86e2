import type { Admission, Probe } from "../admission.js";
import type { PlatformProfile } from "../platform.js";
import type { Raw } from "./hygiene.js";

/**
 * Rules for AWS's built-in providers. OIDC-030: an Amazon Cognito identity pool gives guests (identities
 * that never signed in) tokens whose `amr` holds "unauthenticated"; a role whose trust does not test
 * `amr` serves them as well as signed-in users
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html). A trust
 * that pins `amr` to the guest value on purpose (the pool's unauthenticated role) is not flagged.
 */
export function builtinChecks(
  adm: Admission,
  profile: PlatformProfile,
  prefix: string,
  where: string,
  probe: (e: Record<string, readonly string[] | undefined>) => Probe,
): Raw[] {
  const guest = profile.unauthenticatedAmr;
  if (!guest) return [];
  const amrKey = `${prefix}:amr`;
  const testsAmr = adm.statement.conditions.some((c) => c.key.toLowerCase() === amrKey.toLowerCase());
  if (testsAmr || !adm.admits(probe({ [amrKey]: [guest] }))) return [];
  return [
    {
      rule: "OIDC-030",
      severity: "high",
      message: `${where} does not test ${amrKey}, so the identity pool's guests (amr "${guest}", no sign-in) get the role as well as signed-in users. Add ForAnyValue:StringEquals ${amrKey} "authenticated".`,
      fix: {
        description: `Admit signed-in identities only: ForAnyValue:StringEquals ${amrKey} "authenticated".`,
        edits: [
          {
            op: "set-condition",
            operator: "ForAnyValue:StringEquals",
            key: amrKey,
            values: ["authenticated"],
          },
        ],
      },
    },
  ];
}
