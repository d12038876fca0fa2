/** Types of the package only `dynamo-client-cost.ts` uses, which ships none (aws4's are in shared/). */
declare module '@aws-lite/dynamodb' {
  const plugin: { name: string; service: string };
  export default plugin;
}
