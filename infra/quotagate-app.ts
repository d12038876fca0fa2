/**
 * Builds the CDK app: one {@link QuotagateStack} for the stage in context, checked by the cdk-nag
 * AwsSolutions and Serverless packs. `infra/app.ts` (the `cdk` entry) and the infra tests both
 * build the app here, so the tests check exactly what `cdk synth` produces.
 *
 * @example
 * ```ts
 * const { app, stack } = createQuotagateApp({ context: { stage: 'test' } });
 * ```
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import { QuotagateStack, stackNameForStage } from './quotagate-stack.ts';
import { readStackConfig } from './stack-config.ts';

export interface QuotagateApp {
  readonly app: App;
  readonly stack: QuotagateStack;
  /** The registered rule packs; tests call `validateScope(app)` on them directly. */
  readonly nagPacks: readonly NagPack[];
}

export function createQuotagateApp(props: AppProps = {}): QuotagateApp {
  const app = new App(props);
  const config = readStackConfig(app.node);
  const stack = new QuotagateStack(app, stackNameForStage(config.stage), { config });
  const nagPacks = [new AwsSolutionsChecks(app), new ServerlessChecks(app)];
  // cdk-nag 3 is a validation plugin; the v2 style `Aspects.of(app).add(...)` no longer works.
  Validations.of(app).addPlugins(...nagPacks);
  return { app, stack, nagPacks };
}
