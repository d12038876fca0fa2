/**
 * The flags of `accounts create` and `accounts set`, and how they become the admin API's
 * fields: the model mapping given one of three ways, and the values a `--clear-…` flag empties.
 */
import { parseModelMapping } from '#shared/admin/fields.ts';
import { type CommandInput, type FlagSpec, UsageError } from '../command.ts';

export const egressFlags: Record<string, FlagSpec> = {
  'user-agent': {
    type: 'string',
    value: 'text',
    description: 'User-Agent sent upstream instead of the client’s',
  },
  'proxy-url': {
    type: 'string',
    value: 'url|-',
    secret: true,
    description:
      'HTTP(S) proxy for this account’s upstream traffic, e.g. http://user:pass@host:3128 (- reads stdin)',
  },
};

export const errorCodesFlag: Record<string, FlagSpec> = {
  'error-codes': {
    type: 'string',
    value: '401,403',
    description: 'Upstream statuses that mark this account (only these); failover is unchanged',
  },
};

export const mappingFlags: Record<string, FlagSpec> = {
  map: { type: 'string', multiple: true, value: 'from=to', description: 'Model mapping entry (repeatable)' },
  'map-json': { type: 'string', value: 'json', description: 'Model mapping as a JSON object' },
};

/**
 * `--map` pairs or `--map-json`, or `--clear-map` for an empty mapping; at most one of them. It
 * is parsed here because the API takes the mapping as a JSON object.
 */
function mappingInput(input: CommandInput): Record<string, string> | undefined {
  const pairs = input.list('map');
  const json = input.optionalText('map-json');
  const clear = input.flag('clear-map');
  if ([pairs !== undefined, json !== undefined, clear].filter(Boolean).length > 1) {
    throw new UsageError('Give the model mapping one way: --map, --map-json or --clear-map.');
  }
  const given = clear ? {} : (pairs ?? json);
  return given === undefined ? undefined : parseModelMapping(given);
}

/** A value flag or its clearing flag (an empty value), not both. */
function clearable(input: CommandInput, flag: string, clearFlag: string): string | undefined {
  const value = input.optionalText(flag);
  if (!input.flag(clearFlag)) return value;
  if (value !== undefined) throw new UsageError(`Give --${flag} or --${clearFlag}, not both.`);
  return '';
}

/** `accounts create`'s flags as the fields of `POST /admin/v1/accounts`. */
export function accountCreateBody(input: CommandInput) {
  return {
    type: input.text('type'),
    name: input.text('name'),
    ...input.fields({
      baseUrl: 'base-url',
      apiKey: 'api-key',
      accessToken: 'access-token',
      refreshToken: 'refresh-token',
      chatgptAccountId: 'chatgpt-account-id',
      expiresAt: 'expires-at',
      priority: 'priority',
      concurrency: 'concurrency',
      groupIds: 'groups',
      customErrorCodes: 'error-codes',
      userAgent: 'user-agent',
      proxyUrl: 'proxy-url',
    }),
    modelMapping: mappingInput(input),
  };
}

/** `accounts set`'s flags as the fields of `PATCH /admin/v1/accounts/{id}`. */
export function accountChangeBody(input: CommandInput) {
  return {
    ...input.fields({ priority: 'priority', concurrency: 'concurrency' }),
    modelMapping: mappingInput(input),
    customErrorCodes: clearable(input, 'error-codes', 'clear-error-codes'),
    userAgent: clearable(input, 'user-agent', 'clear-user-agent'),
    proxyUrl: clearable(input, 'proxy-url', 'clear-proxy'),
  };
}
