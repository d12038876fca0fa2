/**
 * Keeps the OAuth (ChatGPT) accounts' access tokens fresh: a function on a 5-minute schedule
 * refreshes every token that expires within the window (`QG_OAUTH_REFRESH_BEFORE_SECONDS`), so
 * the gateway rarely has to refresh one on demand. Both paths share a per-account lease in the
 * State table, so a rotated refresh token is never spent twice.
 *
 * The function reads accounts (Config GetItem, `listing` Query), writes tokens and failure counts
 * (Config UpdateItem) and takes and frees leases (State PutItem/DeleteItem): nothing else. Its
 * errors alarm follows the Monitoring construct's rule (first occurrence in 5 minutes).
 *
 * @example
 * ```ts
 * new TokenRefresh(this, 'TokenRefresh', { observability, tables, runtimeEnvironment: {} });
 * ```
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type { Rule } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { FUNCTION_ENTRIES } from '../function-entries.ts';
import { bindTables, TOKEN_REFRESH_TABLE_ACCESS } from '../table-access.ts';
import { notifyAlarms } from './alarm-topic.ts';
import { intervalRule } from './interval-rule.ts';
import type { FunctionObservability } from './quotagate-function.ts';
import type { QuotagateTables } from './quotagate-tables.ts';
import { ScheduledFunction } from './scheduled-function.ts';

/** How often the schedule runs: a 30-minute window gives each token about six tries. */
export const TOKEN_REFRESH_INTERVAL = Duration.minutes(5);

// A handful of HTTPS calls and DynamoDB writes per run: little CPU, little memory. The timeout
// leaves room for a few rounds of 4 parallel refreshes at the 15 s endpoint timeout; refreshes
// that would not fit wait for the next run.
const TOKEN_REFRESH_MEMORY_MB = 256;
const TOKEN_REFRESH_TIMEOUT = Duration.minutes(2);

const NO_DEAD_LETTERS =
  'The token-refresh function is invoked only by its 5-minute schedule, whose event is an empty timer tick: ' +
  'the next tick repeats the whole pass, so a parked copy of a failed one would hold nothing to redrive. ' +
  'Failed runs raise the token-refresh errors alarm instead, and per-account failures are recorded on the account.';

export interface TokenRefreshProps {
  readonly observability: FunctionObservability;
  readonly tables: QuotagateTables;
  /** `QG_*` tunables from context; only the `QG_OAUTH_*` ones are handed on. */
  readonly runtimeEnvironment: Readonly<Record<string, string>>;
  /** Topic the errors alarm notifies; none means the alarm only changes state. */
  readonly alarmTopicArn?: string;
}

export class TokenRefresh extends ScheduledFunction {
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: TokenRefreshProps) {
    const { stage } = props.observability;
    const oauthEnvironment = Object.fromEntries(
      Object.entries(props.runtimeEnvironment).filter(([name]) => name.startsWith('QG_OAUTH_')),
    );
    super(scope, id, {
      ...props.observability,
      entry: FUNCTION_ENTRIES.tokenRefresh,
      serviceName: 'token-refresh',
      description: `quotagate ${stage}: refreshes OAuth account tokens before they expire`,
      memorySize: TOKEN_REFRESH_MEMORY_MB,
      timeout: TOKEN_REFRESH_TIMEOUT,
      environment: oauthEnvironment,
      interval: TOKEN_REFRESH_INTERVAL,
      noDeadLettersReason: NO_DEAD_LETTERS,
      errorsAlarm: {
        name: `quotagate-${stage}-token-refresh-errors`,
        description:
          'A token-refresh run failed (storage unreachable, uncaught error or timeout); OAuth tokens near expiry ' +
          'are refreshed on demand by the gateway meanwhile.',
      },
    });
    bindTables(this.function, props.tables, TOKEN_REFRESH_TABLE_ACCESS);

    this.schedule = intervalRule(this, 'Schedule', {
      ruleName: `quotagate-${stage}-token-refresh`,
      description: 'Has the token-refresh function refresh OAuth tokens that expire soon',
      interval: TOKEN_REFRESH_INTERVAL,
      target: this.function,
    });
    Validations.of(this.schedule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason: NO_DEAD_LETTERS,
    });

    notifyAlarms(this, props.alarmTopicArn, [this.errorsAlarm]);
  }
}
