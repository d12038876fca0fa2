/**
 * The parts of DynamoDB's JSON protocol (API version 2012-08-10) that `DynamoJsonClient`
 * speaks: attribute values in DynamoDB's own typed form (`{ S: 'x' }`, `{ N: '42' }`), and the
 * input and output of each operation, as the service documents them. Only what quotagate sends:
 * no binary attributes (JSON would carry them as base64, and no item of ours holds one), no
 * consumed-capacity or metrics fields.
 *
 * @example
 * ```ts
 * const input: OperationInput<'DeleteItem'> = {
 *   TableName: 'quotagate-prod-state',
 *   Key: { pk: { S: 'SLOT#user#u_1' }, sk: { S: '000' } },
 * };
 * ```
 */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { SS: string[] }
  | { NS: string[] }
  | { L: AttributeValue[] }
  | { M: AttributeMap };

export type AttributeMap = Record<string, AttributeValue>;

interface ExpressionParts {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: AttributeMap;
}

interface KeysAndAttributes {
  Keys: AttributeMap[];
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

interface Operations {
  GetItem: {
    input: {
      TableName: string;
      Key: AttributeMap;
      ConsistentRead?: boolean;
      ProjectionExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
    };
    output: { Item?: AttributeMap };
  };
  PutItem: {
    input: ExpressionParts & { TableName: string; Item: AttributeMap; ReturnValues?: 'NONE' | 'ALL_OLD' };
    output: { Attributes?: AttributeMap };
  };
  UpdateItem: {
    input: ExpressionParts & {
      TableName: string;
      Key: AttributeMap;
      UpdateExpression: string;
      ReturnValues?: 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';
    };
    output: { Attributes?: AttributeMap };
  };
  DeleteItem: {
    input: ExpressionParts & { TableName: string; Key: AttributeMap; ReturnValues?: 'NONE' | 'ALL_OLD' };
    output: { Attributes?: AttributeMap };
  };
  BatchGetItem: {
    input: { RequestItems: Record<string, KeysAndAttributes> };
    output: {
      Responses?: Record<string, AttributeMap[]>;
      UnprocessedKeys?: Record<string, KeysAndAttributes>;
    };
  };
  Query: {
    input: {
      TableName: string;
      IndexName?: string;
      KeyConditionExpression: string;
      FilterExpression?: string;
      ProjectionExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: AttributeMap;
      ConsistentRead?: boolean;
      ScanIndexForward?: boolean;
      Limit?: number;
      ExclusiveStartKey?: AttributeMap;
    };
    output: { Items?: AttributeMap[]; LastEvaluatedKey?: AttributeMap; Count?: number };
  };
}

/** The operations the client sends. */
export type Operation = keyof Operations;
export type OperationInput<O extends Operation> = Operations[O]['input'];
export type OperationOutput<O extends Operation> = Operations[O]['output'];

/**
 * What sends requests in this form: the gateway's `DynamoJsonClient` (json-client.ts), or the AWS SDK
 * through `sdkRequester` (sdk-requester.ts) where a process has only the SDK's credential chain (the
 * CLI). Stores of the gateway's hot path take this, so both can stand behind them.
 */
export interface DynamoRequester {
  request<O extends Operation>(operation: O, input: OperationInput<O>): Promise<OperationOutput<O>>;
}
