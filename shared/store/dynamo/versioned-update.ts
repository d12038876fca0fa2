/**
 * The conditional writes behind the admin store's versioning (see `shared/store/config-admin.ts`):
 * every admin write requires the item to exist, bumps its `version` and sets `updatedAt`, and
 * when the caller pins a version the write also requires the item to still be at it, so two
 * admins editing one item cannot silently overwrite each other. An item no admin wrote has no
 * `version` yet and counts as version 0.
 *
 * @example
 * ```ts
 * const input = versionedUpdateInput(editOf({ name: 'Team', expiresAt: undefined }), { ifVersion: 3 });
 * // SET #version = …, #updatedAt = :now, #f0 = :v0 REMOVE #f1, if #version = 3
 * ```
 */
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { UpdateOptions } from '../config-admin.ts';

/** Attribute names, values and SET/REMOVE clauses of one update, before versioning is added. */
export interface AttributeEdit {
  names: Record<string, string>;
  values: Record<string, unknown>;
  sets: string[];
  removes: string[];
}

/** The edit that sets each changed field; a field given as `undefined` is removed instead. */
export function editOf(changes: Record<string, unknown>): AttributeEdit {
  const edit: AttributeEdit = { names: {}, values: {}, sets: [], removes: [] };
  Object.entries(changes).forEach(([field, value], index) => {
    edit.names[`#f${index}`] = field;
    if (value === undefined) {
      edit.removes.push(`#f${index}`);
    } else {
      edit.values[`:v${index}`] = value;
      edit.sets.push(`#f${index} = :v${index}`);
    }
  });
  return edit;
}

/** The UpdateExpression of SET and REMOVE clauses, leaving out an empty one. */
export function updateExpressionOf(sets: readonly string[], removes: readonly string[]): string {
  return [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** The condition of an admin write: the item exists and, when `ifVersion` is given, is at it. */
export function versionCondition(ifVersion: number | undefined): {
  condition: string;
  values: Record<string, unknown>;
} {
  if (ifVersion === undefined) return { condition: 'attribute_exists(pk)', values: {} };
  if (ifVersion === 0)
    return { condition: 'attribute_exists(pk) AND attribute_not_exists(#version)', values: {} };
  return { condition: 'attribute_exists(pk) AND #version = :expected', values: { ':expected': ifVersion } };
}

/** `edit` as an UpdateItem's expressions that also bump `version` and set `updatedAt`. */
export function versionedUpdateInput(
  edit: AttributeEdit,
  options: UpdateOptions,
): Pick<
  UpdateCommandInput,
  'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> {
  const { condition, values: expected } = versionCondition(options.ifVersion);
  const names: Record<string, string> = { ...edit.names, '#version': 'version', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = {
    ...edit.values,
    ':zero': 0,
    ':one': 1,
    ':now': new Date().toISOString(),
    ...expected,
  };
  const sets = ['#version = if_not_exists(#version, :zero) + :one', '#updatedAt = :now', ...edit.sets];
  return {
    UpdateExpression: updateExpressionOf(sets, edit.removes),
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
