/**
 * The handler file of every function, relative to the project root. Constructs and the infra
 * tests read the paths from here, so moving a handler is a one-line change.
 */
export const FUNCTION_ENTRIES = {
  gateway: 'functions/gateway/handler.ts',
  recorder: 'functions/recorder/handler.ts',
  tokenRefresh: 'functions/token-refresh/handler.ts',
  admin: 'functions/admin/handler.ts',
  usageExport: 'functions/usage-export/handler.ts',
} as const;
