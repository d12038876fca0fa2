/**
 * An item's two forms: the plain object the stores work with, and DynamoDB's typed attribute form
 * the JSON client sends and receives. Translated with the options the SDK's document client is
 * given (client.ts), so an item reads back the same whichever client wrote it.
 *
 * @example
 * ```ts
 * const typed = typedItemOf({ pk: 'USER#u_1', spentNano: 5 }); // { pk: { S: 'USER#u_1' }, spentNano: { N: '5' } }
 * documentItemOf(typed); // { pk: 'USER#u_1', spentNano: 5 }
 * ```
 */
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ITEM_TRANSLATION } from './client.ts';
import type { AttributeMap } from './json-protocol.ts';

export type StoredItem = Record<string, unknown>;

/** An item in DynamoDB's typed form, as the document client would have answered it. */
export function documentItemOf(attributes: AttributeMap): StoredItem {
  return unmarshall(attributes as never, ITEM_TRANSLATION.unmarshallOptions);
}

/** An item in DynamoDB's typed form, as the document client would have sent it. */
export function typedItemOf(item: StoredItem): AttributeMap {
  return marshall(item, ITEM_TRANSLATION.marshallOptions) as AttributeMap;
}
