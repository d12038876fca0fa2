/**
 * An item's two forms: the plain object the stores work with, and DynamoDB's typed attribute form
 * the JSON client sends and receives. Translated with the options the SDK's document client is
 * given (`DOCUMENT_TRANSLATION`), so an item reads back the same whichever client wrote it.
 *
 * @example
 * ```ts
 * const typed = typedItemOf({ pk: 'USER#u_1', spentNano: 5 }); // { pk: { S: 'USER#u_1' }, spentNano: { N: '5' } }
 * documentItemOf(typed); // { pk: 'USER#u_1', spentNano: 5 }
 * ```
 */
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeMap } from './json-protocol.ts';

export type StoredItem = Record<string, unknown>;

/**
 * Reads every DynamoDB number as a JavaScript number. The SDK's default turns a number past
 * 2^53 into a BigInt, which JSON cannot serialise: one such stored value (a balance pushed past
 * the limit by an old write or by hand) would make every listing that holds it fail. Writers keep
 * money within Number.MAX_SAFE_INTEGER (conditions on the stored value); a reader shows an
 * out-of-range value as the nearest number rather than crash.
 */
export function readNumber(text: string): number {
  return Number(text);
}

/** How every document client of quotagate translates items, the CLI's included. */
export const DOCUMENT_TRANSLATION = {
  marshallOptions: { removeUndefinedValues: true },
  unmarshallOptions: { wrapNumbers: readNumber },
} as const;

/**
 * The same translation for code that marshals whole items itself (`@aws-sdk/util-dynamodb`) to
 * send them through the gateway's JSON client (json-client.ts). Its own objects, with the
 * top-level map written out and read as a map: lib-dynamodb sets `convertTopLevelContainer` and
 * `convertWithoutMapWrapper` on the option objects a document client is given, the shared ones
 * above included, which would wrap a marshalled item in `{ M: … }` and unmarshal an item as a value.
 */
export const ITEM_TRANSLATION = {
  marshallOptions: { ...DOCUMENT_TRANSLATION.marshallOptions, convertTopLevelContainer: false },
  unmarshallOptions: { ...DOCUMENT_TRANSLATION.unmarshallOptions, convertWithoutMapWrapper: false },
} as const;

/** An item in DynamoDB's typed form, as the document client would have answered it. */
export function documentItemOf(attributes: AttributeMap): StoredItem {
  return unmarshall(attributes as never, ITEM_TRANSLATION.unmarshallOptions);
}

/** An item in DynamoDB's typed form, as the document client would have sent it. */
export function typedItemOf(item: StoredItem): AttributeMap {
  return marshall(item, ITEM_TRANSLATION.marshallOptions) as AttributeMap;
}
