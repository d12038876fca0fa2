/**
 * The stream-layers bench's client, in a process of its own so that its CPU is not the relay's:
 * sends `n` streaming Responses requests one at a time to a relay, each asking the mock upstream
 * (through the `x-mock-behaviour` header the relay passes on) for `behaviour`, and reads every
 * answer to its end. Answers `run` with the SSE frames the last answer carried.
 */
import { Agent, request } from 'node:http';
import { answerParent } from './ipc.ts';

interface Run {
  url: string;
  n: number;
  behaviour: unknown;
}

const agent = new Agent({ keepAlive: true });

/** One request; resolves with the answer's frame count (its blank-line ends). */
function streamOnce(url: string, behaviour: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'x-mock-behaviour': behaviour },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve(text.split('\n\n').length - 1));
        response.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end(JSON.stringify({ model: 'gpt-5', input: 'hi', stream: true }));
  });
}

answerParent(
  {
    async run(payload) {
      const { url, n, behaviour } = payload as Run;
      const header = JSON.stringify(behaviour);
      let frames = 0;
      for (let i = 0; i < n; i++) frames = await streamOnce(url, header);
      return frames;
    },
  },
  {},
  async () => agent.destroy(),
);
