/**
 * Smart-wallet signatures asked of the chain, for sign-in (SIWE) and governance ballots: ERC-1271
 * `isValidSignature` on a deployed wallet (a Safe, a passkey wallet), ERC-6492 for one not
 * deployed yet. viem's `publicClient.verifyMessage` / `verifyTypedData` do both.
 *
 * viem answers `false` when no node could be reached at all: it reads every failed `eth_call` as
 * "not valid". A Safe's owner would then be told their signature is wrong during an RPC outage.
 * So each check watches its own requests, and when one of them got no answer from any node and
 * the check says false, it throws {@link WalletCheckUnavailableError} instead; callers answer 503.
 * "An answer" is anything that carries a JSON-RPC error code: a revert is an answer (the
 * signature is not valid), a refused connection, a timeout or an RPC pool with every endpoint down
 * is not.
 */
import { type Address, type Chain, createPublicClient, type Hex, type Transport } from 'viem';

/** The chain could not be asked; the signature is neither valid nor invalid. */
export class WalletCheckUnavailableError extends Error {
  override name = 'WalletCheckUnavailableError';
}

type Client = ReturnType<typeof createPublicClient>;
export type VerifyTypedDataParameters = Parameters<Client['verifyTypedData']>[0];

export interface WalletVerifier {
  verifyMessage(parameters: { address: Address; message: string; signature: Hex }): Promise<boolean>;
  verifyTypedData(parameters: VerifyTypedDataParameters): Promise<boolean>;
}

/** Checks over `transport` (the RPC pool's, a dev chain's, or `http(url)`). */
export function createWalletVerifier(transport: Transport, chain?: Chain | undefined): WalletVerifier {
  /** Runs `check` on a client of its own whose requests are watched for "no answer". */
  const ask = async (check: (client: Client) => Promise<boolean>): Promise<boolean> => {
    let unanswered: unknown;
    const watched: Transport = (options) => {
      const inner = transport(options);
      return {
        ...inner,
        async request(args: Parameters<typeof inner.request>[0]) {
          try {
            return await inner.request(args);
          } catch (err) {
            if (!nodeAnswered(err)) unanswered ??= err;
            throw err;
          }
        },
      } as typeof inner;
    };
    const valid = await check(createPublicClient({ chain, transport: watched }));
    if (!valid && unanswered !== undefined)
      throw new WalletCheckUnavailableError(
        `the chain could not be asked to check the signature: ${firstLine(unanswered)}`,
        { cause: unanswered },
      );
    return valid;
  };
  return {
    verifyMessage: (p) => ask((client) => client.verifyMessage(p)),
    verifyTypedData: (p) => ask((client) => client.verifyTypedData(p)),
  };
}

/** A JSON-RPC error code somewhere in the error's causes: some node answered the call. */
function nodeAnswered(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (typeof (e as { code?: unknown }).code === 'number') return true;
  }
  return false;
}

function firstLine(error: unknown): string {
  return String((error as { message?: unknown })?.message ?? error).split('\n')[0]!;
}
