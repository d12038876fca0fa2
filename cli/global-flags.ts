/**
 * Flags every command accepts: output format, help, and where the tables are. They are listed
 * once here and merged into each command's own flags by the parser and by the help text.
 */
import type { FlagSpec } from './command.ts';

export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  json: { type: 'boolean', description: 'Print machine-readable JSON on stdout (and nothing else)' },
  help: { type: 'boolean', description: 'Show help for this command' },
  region: {
    type: 'string',
    value: 'region',
    description: 'Use DynamoDB in this AWS region (with --stage or table names)',
  },
  stage: { type: 'string', value: 'stage', description: 'Use the tables of this stage: quotagate-<stage>-*' },
  endpoint: {
    type: 'string',
    value: 'url',
    description:
      'DynamoDB endpoint (default: the local stack, http://127.0.0.1:8788 or port QG_DYNALITE_PORT)',
  },
  'config-table': { type: 'string', value: 'name', description: 'Config table name (env QG_CONFIG_TABLE)' },
  'state-table': { type: 'string', value: 'name', description: 'State table name (env QG_STATE_TABLE)' },
  'usage-table': { type: 'string', value: 'name', description: 'Usage table name (env QG_USAGE_TABLE)' },
  api: {
    type: 'string',
    value: 'url',
    description: 'Call the admin HTTP API at this URL instead of the tables (env QG_ADMIN_API_URL)',
  },
  'admin-token': {
    type: 'string',
    value: 'token|-',
    secret: true,
    description:
      'Bearer token of a local admin API (env QG_ADMIN_TOKEN); without it requests are SigV4-signed',
  },
};
