/**
 * The admin API: a small function behind its own Function URL with auth type AWS_IAM, so every
 * request must be SigV4-signed by a principal allowed `lambda:InvokeFunctionUrl` (and, for URLs
 * made since October 2025, `lambda:InvokeFunction` via the URL) on this function. Lambda checks
 * the signature before the handler runs; the handler trusts it and logs the caller's ARN.
 *
 * No resource policy opens the function: callers get access through their own identity policy.
 * {@link AdminApi.invokePolicy} is that policy, ready to attach to an admin role or group.
 *
 * @example
 * ```ts
 * const admin = new AdminApi(this, 'AdminApi', { observability, tables });
 * admin.url.url; // https://<id>.lambda-url.<region>.on.aws/
 * ```
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Effect, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FUNCTION_ENTRIES } from '../function-entries.ts';
import { ADMIN_TABLE_ACCESS, bindTables } from '../table-access.ts';
import { type FunctionObservability, QuotagateFunction } from './quotagate-function.ts';
import type { QuotagateTables } from './quotagate-tables.ts';

// A request is a few DynamoDB calls and some JSON; the largest answers (listings, a 1,000-record
// ops page) are well under a megabyte. 256 MB leaves room and costs nothing at admin rates.
const ADMIN_MEMORY_MB = 256;
// A listing or a month of ops records is a handful of paged queries; 30 s bounds a stuck one.
const ADMIN_TIMEOUT = Duration.seconds(30);

export interface AdminApiProps {
  readonly observability: FunctionObservability;
  readonly tables: QuotagateTables;
}

export class AdminApi extends Construct {
  readonly function: QuotagateFunction;
  readonly url: FunctionUrl;
  /** The identity policy an admin needs to call the URL; attach it to their role or group. */
  readonly invokePolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    const { stage } = props.observability;
    this.function = new QuotagateFunction(this, 'Function', {
      ...props.observability,
      entry: FUNCTION_ENTRIES.admin,
      serviceName: 'admin',
      description: `quotagate ${stage}: admin API (IAM-authenticated Function URL)`,
      memorySize: ADMIN_MEMORY_MB,
      timeout: ADMIN_TIMEOUT,
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The admin API is only invoked synchronously through its IAM-authenticated Function URL; a dead-letter ' +
        'config applies to asynchronous invocations only and would never receive anything. Every failure reaches ' +
        'the admin as an HTTP error and is logged with its request id.',
    });
    bindTables(this.function, props.tables, ADMIN_TABLE_ACCESS);

    this.url = this.function.addFunctionUrl({
      authType: FunctionUrlAuthType.AWS_IAM,
      invokeMode: InvokeMode.BUFFERED,
    });

    // The same two statements `grantInvokeUrl` would add to a role, as a policy of its own.
    this.invokePolicy = new ManagedPolicy(this, 'InvokePolicy', {
      description: `quotagate ${stage}: call the admin API's Function URL`,
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['lambda:InvokeFunctionUrl'],
          resources: [this.function.functionArn],
          conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['lambda:InvokeFunction'],
          resources: [this.function.functionArn],
          conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': true } },
        }),
      ],
    });
  }
}
