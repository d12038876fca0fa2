/** Types of the two packages only `dynamo-client-cost.ts` uses, which ship none. */
declare module '@aws-lite/dynamodb' {
  const plugin: { name: string; service: string };
  export default plugin;
}

declare module 'aws4' {
  interface SignedRequest {
    headers: Record<string, string>;
  }
  const aws4: {
    sign(request: object, credentials: { accessKeyId: string; secretAccessKey: string }): SignedRequest;
  };
  export default aws4;
}
