/**
 * `quotagate console`: the web console for a deployed stack, served on 127.0.0.1. Its API calls
 * are forwarded to the stack's admin Function URL, SigV4-signed with the admin's own AWS
 * credentials (nothing public is added to AWS). The admin URL is `--api`, or the `AdminApiUrl`
 * output of the stage's CloudFormation stack (`--stage` and `--region`). The local stack needs
 * none of this: `npm start` serves the console on its admin port.
 */

import { type RunningConsoleProxy, startConsoleProxy } from '#local/console-proxy.ts';
import { stackNameForStage } from '#shared/tables/definitions.ts';
import { sigV4Headers } from '../admin-api-client.ts';
import { type Command, UsageError } from '../command.ts';
import { type FlagValues, parseCommandLine } from '../flags.ts';
import { renderCommandHelp } from '../help.ts';

export const DEFAULT_CONSOLE_PORT = 8791;

export const consoleCommand: Command = {
  name: 'console',
  summary: 'Serve the web console of a deployed stack on 127.0.0.1 (calls signed with your AWS credentials)',
  flags: {
    port: {
      type: 'string',
      value: 'port',
      description: `Local port (default ${DEFAULT_CONSOLE_PORT}; 0: any free one)`,
    },
  },
  examples: [
    'quotagate console --stage prod --region eu-west-1',
    'quotagate console --api https://abc123.lambda-url.eu-west-1.on.aws',
  ],
  // Never called: the console serves until stopped, so `runConsole` starts it instead.
  run: async () => {
    throw new Error('quotagate console is run by runConsole');
  },
  render: String,
};

type Env = Record<string, string | undefined>;

const text = (values: FlagValues, name: string) => {
  const value = values[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};

/** The stack's `AdminApiUrl` output, read with CloudFormation's DescribeStacks (JSON protocol). */
async function adminUrlOfStage(stage: string, region: string): Promise<string> {
  const stack = stackNameForStage(stage);
  const url = new URL(`https://cloudformation.${region}.amazonaws.com/`);
  url.search = new URLSearchParams({
    Action: 'DescribeStacks',
    StackName: stack,
    Version: '2010-05-15',
  }).toString();
  const headers = await sigV4Headers(
    url,
    'GET',
    { accept: 'application/json' },
    undefined,
    region,
    'cloudformation',
  );
  const response = await fetch(url, { headers });
  const body = (await response.json().catch(() => ({}))) as {
    DescribeStacksResponse?: {
      DescribeStacksResult?: { Stacks?: { Outputs?: { OutputKey: string; OutputValue: string }[] }[] };
    };
    Error?: { Message?: string };
  };
  if (!response.ok) {
    throw new Error(
      `CloudFormation could not describe stack ${stack} in ${region} (${response.status}): ${body.Error?.Message ?? 'no message'}`,
    );
  }
  const outputs = body.DescribeStacksResponse?.DescribeStacksResult?.Stacks?.[0]?.Outputs ?? [];
  const output = outputs.find((entry) => entry.OutputKey === 'AdminApiUrl');
  if (!output) throw new Error(`Stack ${stack} in ${region} has no AdminApiUrl output; deploy it first.`);
  return output.OutputValue.replace(/\/+$/, '');
}

/** Resolves the admin URL and starts the console's local server. */
export async function startConsole(
  values: FlagValues,
  env: Env,
): Promise<{ proxy: RunningConsoleProxy; adminUrl: string }> {
  const portText = text(values, 'port') ?? String(DEFAULT_CONSOLE_PORT);
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65_535))
    throw new UsageError(`--port must be a port number, got "${portText}".`, 'quotagate console --help');
  const region = text(values, 'region') ?? (env.AWS_REGION || undefined);
  const stage = text(values, 'stage');
  const api = text(values, 'api');
  if (api === undefined && (stage === undefined || region === undefined)) {
    throw new UsageError(
      'quotagate console needs --stage and --region (or --api <admin URL>).',
      'quotagate console --help',
    );
  }
  let adminUrl: string;
  if (api !== undefined) {
    try {
      const parsed = new URL(api);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('scheme');
      adminUrl = parsed.origin;
    } catch {
      throw new UsageError(
        `--api must be an http:// or https:// URL, got "${api}".`,
        'quotagate console --help',
      );
    }
  } else {
    adminUrl = await adminUrlOfStage(stage as string, region as string);
  }
  const proxy = await startConsoleProxy({
    port,
    async forward(request) {
      const url = new URL(`${adminUrl}${request.pathAndQuery}`);
      const headers = await sigV4Headers(url, request.method, request.headers, request.body, region);
      const response = await fetch(url, {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: await response.text(),
      };
    },
  });
  return { proxy, adminUrl };
}

export interface ConsoleIo {
  stdout: { write(text: string): unknown };
  env: Env;
  /** Resolves when the console should stop; default: Ctrl-C or SIGTERM. */
  stopped?: Promise<void>;
}

/** `quotagate console [flags]`: serves until stopped; exit code 0 after a clean stop. */
export async function runConsole(args: string[], io: ConsoleIo): Promise<number> {
  const parsed = parseCommandLine(consoleCommand, 'quotagate console', args);
  if (parsed.help) {
    const group = { name: 'console', summary: consoleCommand.summary, commands: [consoleCommand] };
    io.stdout.write(
      `${renderCommandHelp(group, consoleCommand).replaceAll('quotagate console console', 'quotagate console')}\n`,
    );
    return 0;
  }
  const { proxy, adminUrl } = await startConsole(parsed.values, io.env);
  const started = { url: `${proxy.url}/`, token: proxy.token, adminUrl };
  io.stdout.write(
    parsed.json
      ? `${JSON.stringify(started)}\n`
      : `The quotagate console for ${adminUrl}\n\n  Open:   ${started.url}\n  Token:  ${proxy.token}   (paste it into "Admin token")\n\nEvery call is signed with your AWS credentials. Press Ctrl-C to stop.\n`,
  );
  await (io.stopped ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  await proxy.close();
  return 0;
}
