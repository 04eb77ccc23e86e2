import { buildPlan, type InitOptions, type InitPlan } from "./plan.js";
import { renderCli } from "./render/cli.js";
import {
  cloudFormationTemplates,
  renderCloudFormationJson,
  renderCloudFormationYaml,
} from "./render/cloudformation.js";
import { jsonNote, renderJson } from "./render/json.js";
import { renderTerraform } from "./render/terraform.js";

export {
  buildPlan,
  INIT_PLATFORMS,
  InitError,
  type InitOptions,
  type InitPlan,
  type InitPlatform,
  isInitPlatform,
  type Phase,
  SCOPE_FLAGS,
  type Scope,
  type ScopeFlag,
} from "./plan.js";

export const INIT_FORMATS = ["terraform", "cloudformation", "cloudformation-json", "cli", "json"] as const;
export type InitFormat = (typeof INIT_FORMATS)[number];
export const isInitFormat = (v: string): v is InitFormat => (INIT_FORMATS as readonly string[]).includes(v);

/** One output file: its name under --out, and its text. */
export interface InitFile {
  readonly path: string;
  readonly text: string;
  readonly executable?: boolean;
}

export interface InitOutput {
  readonly plan: InitPlan;
  readonly files: readonly InitFile[];
  /** For stdout: the files joined (CloudFormation: one YAML document per account). */
  readonly stdout: string;
  /** What goes to stderr (the json form's explanation). */
  readonly note?: string;
}

export function generate(options: InitOptions, format: InitFormat, command: string): InitOutput {
  const plan = buildPlan(options);
  switch (format) {
    case "terraform": {
      const text = renderTerraform(plan, command);
      return { plan, files: [{ path: "main.tf", text }], stdout: text };
    }
    case "cloudformation":
    case "cloudformation-json": {
      const yaml = format === "cloudformation";
      const files = cloudFormationTemplates(plan, command).map((t) => ({
        path: `${t.name}.${yaml ? "yaml" : "json"}`,
        text: yaml ? renderCloudFormationYaml(t) : renderCloudFormationJson(t),
      }));
      // Several accounts on stdout: YAML documents separated by `---`; JSON templates one per line group
      // is not JSON, so JSON with several accounts needs --out.
      const stdout = yaml ? files.map((f) => f.text).join("---\n") : files.length === 1 ? files[0]!.text : "";
      return { plan, files, stdout };
    }
    case "cli": {
      const text = renderCli(plan, command);
      return { plan, files: [{ path: "keyless-init-aws.sh", text, executable: true }], stdout: text };
    }
    case "json": {
      const text = renderJson(plan);
      return {
        plan,
        files: [{ path: "keyless-init-aws.json", text }],
        stdout: text,
        note: jsonNote(plan, command),
      };
    }
  }
}
