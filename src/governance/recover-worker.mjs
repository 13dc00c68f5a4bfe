// Worker thread of recover-pool.ts: recovers ECDSA signers. Plain JavaScript so it loads the same
// way under node, tsx and vitest. Messages: [id, hash, signature] in, [id, address | null] out.
import { parentPort } from 'node:worker_threads';
import { recoverSigner } from './recover-signer.mjs';

parentPort.on('message', async ([id, hash, signature]) => {
  parentPort.postMessage([id, (await recoverSigner(hash, signature)) ?? null]);
});
