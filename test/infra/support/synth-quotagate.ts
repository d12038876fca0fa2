/**
 * Builds the quotagate app exactly as `cdk synth` does (same entry code, same cdk.json context
 * and feature flags), with optional context overrides, and returns its template. Asset bundling
 * is off unless asked for: these tests check the template, and `cdk-synth.test.ts` bundles.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { PROJECT_ROOT } from '../../../infra/constructs/quotagate-function.ts';
import { createQuotagateApp, type QuotagateApp } from '../../../infra/quotagate-app.ts';
import { worldForSuite } from '../../support/suite-world.ts';

export interface SynthesisedQuotagate extends QuotagateApp {
  readonly template: Template;
}

/** The `context` block of cdk.json: stage defaults, runtime tunables and feature flags. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/**
 * The app as `cdk synth` builds it, not yet synthesised: nag packs can walk it and report
 * findings readably (synthesis itself fails on the first finding with a short message).
 */
export function buildQuotagate(
  overrides: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): QuotagateApp {
  const outdir = mkdtempSync(join(tmpdir(), 'quotagate-synth-'));
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  return createQuotagateApp({
    outdir,
    context: {
      ...cdkJsonContext(),
      // What the CLI adds from its own settings in cdk.json.
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:version-reporting': false,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...overrides,
    },
  });
}

/** Builds and synthesises the app (nag packs included) and returns the stack's template. */
export function synthQuotagate(
  overrides: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): SynthesisedQuotagate {
  const built = buildQuotagate(overrides, options);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The stage the stack tests synthesise: names read `quotagate-test-…`. */
export const TEST_STAGE = 'test';

/**
 * The stack the `*-stack.test.ts` files assert on: stage {@link TEST_STAGE}, a 45 s lease and
 * 14-day log retention (both unlike cdk.json's, so a test shows they come from the context),
 * plus `overrides`.
 *
 * @example
 * ```ts
 * before(() => { synth = synthTestStack({ alarmTopicArn: TOPIC }); });
 * ```
 */
export function synthTestStack(overrides: Record<string, unknown> = {}): SynthesisedQuotagate {
  return synthQuotagate({ stage: TEST_STAGE, leaseSeconds: 45, logRetentionDays: 14, ...overrides });
}

/**
 * {@link synthTestStack} for the enclosing suite, synthesised in its `before` hook (see
 * worldForSuite): `const synth = synthForSuite({ alarmTopicArn: TOPIC });`.
 */
export function synthForSuite(overrides: Record<string, unknown> = {}): SynthesisedQuotagate {
  return worldForSuite(
    'synthesised stack',
    async () => synthTestStack(overrides),
    () => undefined,
  );
}

/** The resources of one CloudFormation type, keyed by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown> & { [key: string]: unknown };
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}

/** The logical id of the single resource of `type` whose construct path ends with `pathSuffix`. */
export function logicalIdByPath(template: Template, type: string, pathSuffix: string): string {
  const matches = Object.entries(template.findResources(type)).filter(([, resource]) =>
    String((resource as { Metadata?: Record<string, unknown> }).Metadata?.['aws:cdk:path'] ?? '').endsWith(
      pathSuffix,
    ),
  );
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} at */${pathSuffix}, found ${matches.length}`);
  }
  return (matches[0] as [string, unknown])[0];
}
