/**
 * dynalite in a child process of the local stack (see `startDynaliteProcess`), so that the
 * database's CPU — a good part of the stack's — runs on a core of its own. Its options (port,
 * data folder) come as one JSON argument; it answers `ready` with its endpoint and port.
 */
import { serveParent } from './child-process.ts';
import { startDynalite } from './dynalite.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as { port?: number; path?: string };
const dynamo = await startDynalite(options);
serveParent({}, { endpoint: dynamo.endpoint, port: dynamo.port }, () => dynamo.close());
