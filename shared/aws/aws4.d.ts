/** Types for the part of `aws4` (which ships none) that json-client.ts uses. */
declare module 'aws4' {
  interface SigningRequest {
    host: string;
    path: string;
    method: string;
    service: string;
    region: string;
    headers: Record<string, string>;
    body: string;
  }
  interface SignedRequest extends SigningRequest {
    /** The request's headers plus Host, Content-Length, X-Amz-Date, X-Amz-Security-Token and Authorization. */
    headers: Record<string, string>;
  }
  const aws4: {
    /** Signs with SigV4 in place and answers the same object. */
    sign(
      request: SigningRequest,
      credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
    ): SignedRequest;
  };
  export default aws4;
}
