/**
 * GET /v1/models: what the caller's key can reach, in OpenAI's list shape. An account with a
 * model mapping serves exactly its mapped names; one without serves the catalog (the models the
 * price table knows). A key with an allowed-models list sees only those.
 */
import type { Caller } from './authenticate.ts';
import type { GatewayDeps } from './deps.ts';

export interface ModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

export async function listModels(caller: Caller, deps: GatewayDeps): Promise<ModelList> {
  const accounts = (await deps.directory.listAccounts()).filter(
    (account) => account.groupIds.includes(caller.group.id) && account.status === 'active',
  );
  const names = new Set<string>();
  for (const account of accounts) {
    const mapped = Object.keys(account.modelMapping);
    for (const name of mapped.length > 0 ? mapped : deps.modelCatalog()) names.add(name);
  }
  const allowed = caller.key.allowedModels;
  const visible = [...names]
    .filter((name) => !allowed || allowed.length === 0 || allowed.includes(name))
    .sort();
  return {
    object: 'list',
    data: visible.map((id) => ({ id, object: 'model', created: 0, owned_by: 'quotagate' })),
  };
}
