/**
 * Memory of the functions whose size the bench prices (`bench/cost.ts`): the constructs set
 * these, and the bench reads them, so the printed cost per million is the deployed size's.
 */

/*
 * Memory: 176 MB, from the bench (docs/deploy.md, "The gateway's memory"). Lambda bills memory ×
 * the whole upstream stream, which the gateway mostly waits on, so the size multiplies every
 * second of every answer. With its NODE_OPTIONS (GATEWAY_NODE_OPTIONS: 8 MB semi-spaces, old
 * space ≤ 64 MB) the bundled gateway serves one request at a time at 116–122 MB resident; the
 * largest request a client can make, a 6 MB prompt whose stream it then cuts short (so the token
 * counter loads and counts it all), peaked at 160–164 MB; real answers pass with at most a
 * 64 KiB frame held. 176 MB keeps 12 MB over that worst case and prices a 20 s stream under $60
 * per million; 160 MB would not hold it, and 256 MB cost 45 % more for CPU the gateway does not
 * need (0.10 vCPU here against 0.145).
 */
export const GATEWAY_MEMORY_MB = 176;

// The recorder makes a handful of single-item conditional writes: little CPU, little memory.
export const RECORDER_MEMORY_MB = 256;
