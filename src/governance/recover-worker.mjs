// Worker thread of recover-pool.ts: recovers ECDSA signers. Plain JavaScript so it loads the same
// way under node, tsx and vitest. Messages: [id, hash, signature] in, [id, address | null] out.
import { parentPort } from 'node:worker_threads';
import { recoverAddress } from 'viem';

parentPort.on('message', async ([id, hash, signature]) => {
  let address = null;
  try {
    address = (await recoverAddress({ hash, signature })).toLowerCase();
  } catch {
    // an invalid signature recovers nobody
  }
  parentPort.postMessage([id, address]);
});
