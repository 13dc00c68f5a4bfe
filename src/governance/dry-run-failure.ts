/**
 * What a failed dry run (`eth_call` from the executor, `OnchainCaller.simulate`) of an
 * `onchain_call` action means — which decides who is told what (validate-actions.ts):
 *
 * - `unavailable`: no node answered — connection refused, DNS, an HTTP error status, no answer in
 *   time, a dropped WebSocket, a disconnected provider, a rate limit, or the RPC pool's own
 *   `CB_RPC_UNAVAILABLE` (every endpoint failed or has its circuit open). Nothing is known about the
 *   call: the request fails with a retryable 503, never a refusal of the proposal.
 * - `reverted`: a node executed the call and it reverted (viem's `ContractFunctionRevertedError`,
 *   `ExecutionRevertedError`, `RawContractError`, JSON-RPC code 3, or a node's error answer that
 *   says it reverted — hardhat answers -32603 "VM Exception … reverted …"). The proposal is refused.
 * - `unfunded`: a node answered that the executor cannot pay the call's `value` now. Executing it
 *   would fail as surely as a revert: the proposal is refused too.
 * - `unknown`: anything else (a node's answer that is neither, such as invalid params; a bug in an
 *   OnchainCaller). Rethrown as it is: a 5xx with the real error in the log, since blaming the
 *   proposal or promising that a retry helps would both be guesses.
 *
 * Decided on error classes and JSON-RPC codes along the whole cause chain (viem's wrappers, such as
 * `CallExecutionError` → `UnknownRpcError` → the pool's error, hide the real cause several levels
 * down), transport first: only a node that answered can say "reverted", so a transport failure
 * anywhere in the chain means there was no verdict, whatever text wraps it.
 */
import {
  ContractFunctionRevertedError,
  ExecutionRevertedError,
  HttpRequestError,
  InsufficientFundsError,
  RawContractError,
  SocketClosedError,
  TimeoutError,
  BaseError as ViemBaseError,
  WebSocketRequestError,
} from 'viem';
import { UnavailableError } from '../platform/errors.ts';
import { redactString } from '../platform/redact.ts';

export type DryRunFailure =
  | {
      kind: 'unavailable' | 'reverted' | 'unfunded';
      /** One line, no URL or secret, at most 300 characters. */
      reason: string;
    }
  | { kind: 'unknown' };

/** JSON-RPC / EIP-1193 codes that mean "no verdict": disconnected (4900, 4901), rate limited. */
const NO_VERDICT_CODES = new Set([4900, 4901, -32005, -32007, 429]);
/** viem's UnknownRpcError (-1) wraps any failure of a custom transport that is not a node's answer. */
const NOT_AN_ANSWER_CODES = new Set([-1, 4900, 4901]);
/** EIP-1474's "execution reverted". */
const EXECUTION_REVERTED = 3;
/** Node.js / undici network error codes (a custom transport may throw them unwrapped). */
const NETWORK_CODE = /^(?:UND_ERR_|ECONN|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH)/;
const URL_PATTERN = /\b(?:https?|wss?):\/\/\S+/gi;

export function dryRunFailure(err: unknown): DryRunFailure {
  const chain = causes(err);
  const transport = chain.find(isTransportFailure);
  if (transport !== undefined) return { kind: 'unavailable', reason: transportReason(transport) };
  const decoded = chain.find((e) => e instanceof ContractFunctionRevertedError);
  if (decoded instanceof ContractFunctionRevertedError)
    return { kind: 'reverted', reason: clean(decodedReason(decoded)) };
  const answered = chain.some(isNodeAnswer);
  const words = nodeWords(chain);
  if (
    chain.some(
      (e) =>
        e instanceof ExecutionRevertedError ||
        e instanceof RawContractError ||
        numericCode(e) === EXECUTION_REVERTED,
    ) ||
    (answered && /revert/i.test(words))
  )
    return { kind: 'reverted', reason: clean(words || 'execution reverted') };
  if (
    chain.some((e) => e instanceof InsufficientFundsError) ||
    (answered && /insufficient funds/i.test(words))
  )
    return { kind: 'unfunded', reason: clean(words || 'insufficient funds') };
  return { kind: 'unknown' };
}

/** Every error in the cause chain, outermost first (viem's `cause` is `Error.cause`). */
function causes(err: unknown): object[] {
  const out: object[] = [];
  let e: unknown = err;
  while (e !== null && typeof e === 'object' && !out.includes(e) && out.length < 16) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function numericCode(e: object): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function isTransportFailure(e: object): boolean {
  if (
    e instanceof HttpRequestError ||
    e instanceof TimeoutError ||
    e instanceof WebSocketRequestError ||
    e instanceof SocketClosedError ||
    // The RPC pool's CB_RPC_UNAVAILABLE (RpcUnavailableError), or any dependency marked unavailable.
    e instanceof UnavailableError
  )
    return true;
  // A DOMException from AbortSignal.timeout() in an OnchainCaller of its own.
  if ((e as { name?: unknown }).name === 'TimeoutError') return true;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'number') return NO_VERDICT_CODES.has(code);
  return typeof code === 'string' && NETWORK_CODE.test(code);
}

/** The node answered the call with a JSON-RPC error object (a numeric code of its own). */
function isNodeAnswer(e: object): boolean {
  const code = numericCode(e);
  return code !== undefined && !NOT_AN_ANSWER_CODES.has(code);
}

/**
 * The node's own words: the innermost text of the chain — viem's `details` (what the node said)
 * or the message of a non-viem error (the pool's RpcResponseError, hardhat's own error).
 */
function nodeWords(chain: readonly object[]): string {
  for (const e of [...chain].reverse()) {
    const text = e instanceof ViemBaseError ? e.details : e instanceof Error ? e.message : undefined;
    if (text) return text;
  }
  return '';
}

function decodedReason(e: ContractFunctionRevertedError): string {
  if (e.reason) return `execution reverted: ${e.reason}`;
  if (e.data) return `execution reverted: ${e.data.errorName}(${(e.data.args ?? []).map(String).join(', ')})`;
  return e.signature ? `execution reverted: custom error ${e.signature}` : 'execution reverted';
}

function transportReason(e: object): string {
  if (e instanceof HttpRequestError && e.status !== undefined)
    return clean(`${e.shortMessage} Status: ${e.status}`);
  if (e instanceof ViemBaseError) return clean(e.shortMessage);
  // The pool's message names each endpoint and why, never a URL.
  return clean(e instanceof Error ? e.message : String(e));
}

/** One line, URLs (they may hold an API key in the path) and secrets removed, ≤ 300 characters. */
function clean(text: string): string {
  const line = redactString(
    (text.split('\n')[0] ?? '').replace(URL_PATTERN, '<url>').replace(/\s+/g, ' ').trim(),
  );
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
