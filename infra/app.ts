/**
 * The `cdk` entry (`"app": "npx tsx infra/app.ts"` in cdk.json). The CLI sets the output
 * directory, and the app synthesises itself when this process is about to exit.
 */
import { createQuotagateApp } from './quotagate-app.ts';

createQuotagateApp();
