/**
 * The bench's command line (see run.ts for what each option does) and the fixed shape of a run:
 * how many requests each phase sends, at which concurrencies, for which users.
 */
import { parseArgs } from 'node:util';
import type { BenchUser, Mode } from './phase-result.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    accounts: { type: 'string', default: '3' },
    'chunk-delay-ms': { type: 'string', default: '1' },
    'no-sessions': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'input-kb': { type: 'string', default: '0' },
    'gateway-heap-mb': { type: 'string', default: '0' },
    'gateway-tsx': { type: 'boolean', default: false },
    'large-text-mb': { type: 'string', default: '20' },
    'large-only': { type: 'boolean', default: false },
    'local-stack-only': { type: 'boolean', default: false },
    'stack-dir': { type: 'string', default: '' },
    out: { type: 'string', default: 'bench/results/latest.json' },
    'gateway-base': { type: 'string', default: '' },
    rounds: { type: 'string', default: '4' },
    requests: { type: 'string', default: '300' },
    'fixed-profile': { type: 'boolean', default: false },
    mode: { type: 'string', default: '' },
  },
});

/** The options as numbers and flags. */
export const options = {
  quick: values.quick,
  accounts: Number(values.accounts),
  chunkDelayMs: Number(values['chunk-delay-ms']),
  sessions: !values['no-sessions'],
  profile: values.profile,
  inputKb: Number(values['input-kb']),
  gatewayHeapMb: Number(values['gateway-heap-mb']),
  /**
   * The gateway from its sources under tsx instead of its bundle; `--profile` implies it, so
   * that the profile names packages and files.
   */
  gatewayFromSources: values['gateway-tsx'] || values.profile,
  largeTextMb: Number(values['large-text-mb']),
  largeOnly: values['large-only'],
  localStackOnly: values['local-stack-only'],
  /** Another checkout whose `npm start` the local-stack phases run (before/after in one window). */
  stackDir: values['stack-dir'],
  out: values.out,
  /** gateway-ab.ts: another checkout whose gateway runs beside this one's (before/after). */
  gatewayBase: values['gateway-base'],
  /** gateway-ab.ts: rounds of alternating loads, and requests per load. */
  rounds: Number(values.rounds),
  requests: Number(values.requests),
  /** gateway-ab.ts: profile this checkout's gateway over c=1 loads only, instead of comparing. */
  fixedProfile: values['fixed-profile'],
  /** gateway-ab.ts: only this mode (`non-stream` or `stream`), so more rounds fit in a window. */
  mode: values.mode,
};

export const SIZES = options.quick
  ? { warmup: 40, phaseWarmup: 10, requests: { 1: 40, 32: 200 }, maxMs: 2_000, imports: 5, recorded: 40 }
  : {
      warmup: 200,
      phaseWarmup: 50,
      requests: { 1: 500, 32: 2_000 },
      maxMs: 15_000,
      imports: 9,
      recorded: 200,
    };
export const CONCURRENCIES = [1, 32] as const;
export const MODES: Mode[] = ['non-stream', 'stream'];
export const USERS: BenchUser[] = ['slots', 'unlimited'];
/** User slots of the finite user and per account: enough that c=32 is not queued, yet slots are taken. */
export const USER_CONCURRENCY = 64;
export const ACCOUNT_CONCURRENCY = 64;
export const MIB = 1024 * 1024;
export const PROFILE_DIR = 'bench/results/profiles';
/** The gateway process's profile is named `gateway-<ms>.cpuprofile` under {@link PROFILE_DIR}. */
export const GATEWAY_PROFILE_PREFIX = 'gateway-';
/** The floor process's (floor.ts), beside it, so the two can be compared. */
export const FLOOR_PROFILE_PREFIX = 'floor-';
