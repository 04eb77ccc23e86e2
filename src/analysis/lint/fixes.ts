import type { Json } from "../../core/policy/index.js";

/**
 * A finding's fix, machine-readable: edits of the statement the finding is about, applied to the trust
 * policy's JSON (`applyFix`). Rules whose fix needs a value only the user knows (the exact subject of
 * the pipeline, an immutable id) carry none; their message says what to write (docs/lint.md).
 *
 * - `set-condition`: the key is tested by this operator with these values, and by no other operator of
 *   the statement (so a wrong operator is replaced, not doubled);
 * - `remove-condition`: the key is no longer tested (by any operator);
 * - `rename-condition-key`: the same test on another key (a wrong provider prefix);
 * - `add-action` / `set-actions`: the statement's Action.
 */
export type FixEdit =
  | {
      readonly op: "set-condition";
      readonly operator: string;
      readonly key: string;
      readonly values: readonly string[];
    }
  | { readonly op: "remove-condition"; readonly key: string }
  | { readonly op: "rename-condition-key"; readonly from: string; readonly to: string }
  | { readonly op: "add-action"; readonly action: string }
  | { readonly op: "set-actions"; readonly actions: readonly string[] };

export interface Fix {
  /** One sentence, as the message's advice. */
  readonly description: string;
  readonly edits: readonly FixEdit[];
  /** The statement after the fix, as JSON text (set when the finding is placed in its file). */
  readonly statement?: string;
}

type JsonObject = { [k: string]: Json };
const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Removes a key (case-insensitively, as IAM compares key names) from every operator block. */
function dropKey(condition: JsonObject, key: string): void {
  for (const [operator, block] of Object.entries(condition)) {
    if (!isObject(block)) continue;
    for (const k of Object.keys(block)) if (k.toLowerCase() === key.toLowerCase()) delete block[k];
    if (Object.keys(block).length === 0) delete condition[operator];
  }
}

function applyEdit(statement: JsonObject, edit: FixEdit): void {
  const condition = isObject(statement.Condition) ? statement.Condition : {};
  switch (edit.op) {
    case "set-condition": {
      dropKey(condition, edit.key);
      const block = isObject(condition[edit.operator]) ? (condition[edit.operator] as JsonObject) : {};
      block[edit.key] = edit.values.length === 1 ? edit.values[0]! : [...edit.values];
      condition[edit.operator] = block;
      break;
    }
    case "remove-condition":
      dropKey(condition, edit.key);
      break;
    case "rename-condition-key":
      for (const block of Object.values(condition)) {
        if (!isObject(block)) continue;
        for (const k of Object.keys(block)) {
          if (k.toLowerCase() !== edit.from.toLowerCase()) continue;
          block[edit.to] = block[k]!;
          delete block[k];
        }
      }
      break;
    case "add-action": {
      const actions =
        statement.Action === undefined
          ? []
          : Array.isArray(statement.Action)
            ? statement.Action
            : [statement.Action];
      if (!actions.some((a) => typeof a === "string" && a.toLowerCase() === edit.action.toLowerCase()))
        statement.Action = [...actions, edit.action];
      break;
    }
    case "set-actions":
      statement.Action = edit.actions.length === 1 ? edit.actions[0]! : [...edit.actions];
      break;
  }
  if (Object.keys(condition).length > 0) statement.Condition = condition;
  else delete statement.Condition;
}

/**
 * The policy with the fix applied to statement `index` (its position in `Statement`; a lone statement
 * object is index 0). Returns a new document; the input is not changed. Throws on a document that has
 * no such statement.
 */
export function applyFix(policy: Json, index: number, fix: Fix): Json {
  const copy = structuredClone(policy) as JsonObject;
  const list = copy.Statement;
  const statement = Array.isArray(list) ? list[index] : index === 0 ? list : undefined;
  if (!isObject(statement)) throw new Error(`the policy has no Statement[${index}]`);
  for (const edit of fix.edits) applyEdit(statement, edit);
  return copy;
}

/** The fixed statement as JSON text (what SARIF's `insertedContent` carries). */
export function fixedStatementText(policy: Json, index: number, fix: Fix): string | undefined {
  try {
    const fixed = applyFix(policy, index, fix) as JsonObject;
    const list = fixed.Statement;
    return JSON.stringify(Array.isArray(list) ? list[index] : list, null, 2);
  } catch {
    return undefined;
  }
}
