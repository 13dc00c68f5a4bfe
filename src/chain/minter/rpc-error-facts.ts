/**
 * What the minter needs to know about an error from viem / the node: a short reason safe to log,
 * whether the node itself answered (vs. a transport failure), the decoded contract revert, and how
 * to read an answer to `eth_sendRawTransaction`.
 */
import { ContractFunctionRevertedError, BaseError as ViemBaseError } from 'viem';
import { redactString } from '../../platform/redact.ts';

const URL_PATTERN = /\b(?:https?|wss?):\/\/\S+/gi;

/** Every error in the cause chain, outermost first (viem's `cause`, then `Error.cause`). */
function chainOf(err: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && out.length < 12) {
    out.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

/** The node's own words, when it answered: the innermost `details` (viem) or message. */
function nodeText(err: unknown): string {
  const parts: string[] = [];
  for (const e of chainOf(err)) {
    const details = (e as { details?: unknown }).details;
    if (typeof details === 'string' && details) parts.push(details);
    const data = (e as { data?: unknown }).data;
    if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string')
      parts.push((data as { message: string }).message);
    if (e instanceof Error && !(e instanceof ViemBaseError)) parts.push(e.message);
  }
  return parts.join(' | ');
}

/**
 * One short line saying why a call failed, without URLs or secrets (viem messages quote the
 * request URL, which may carry an API key).
 */
export function shortReason(err: unknown): string {
  let text: string;
  if (err instanceof ViemBaseError) {
    const details = err.details && err.details !== err.shortMessage ? `: ${err.details}` : '';
    text = `${details ? err.shortMessage.replace(/\.$/, '') : err.shortMessage}${details}`;
  } else if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    text = `${typeof code === 'string' ? `${code}: ` : ''}${err.message}`;
  } else text = String(err);
  const line = redactString(text.replace(URL_PATTERN, '<url>').replace(/\s+/g, ' ').trim());
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * True when the JSON-RPC node answered with an error object (it has a numeric JSON-RPC code) —
 * as opposed to the request not arriving or the answer not coming back (ambiguous for a send).
 */
export function nodeAnswered(err: unknown): boolean {
  return chainOf(err).some((e) => {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'number' && !NOT_AN_ANSWER.has(code);
  });
}

/** viem's UnknownRpcError (-1) wraps any non-RPC failure of a custom transport; 4900/4901 = disconnected. */
const NOT_AN_ANSWER = new Set([-1, 4900, 4901]);

export interface Revert {
  /** The custom error's name, e.g. `ERC721InvalidReceiver`; undefined when not decodable. */
  errorName: string | undefined;
  /** `Name(arg, …)` or the node's revert message: what the outbox row's `error` says. */
  reason: string;
}

/** The contract revert inside `err` (an eth_call / estimateGas that reverted), or undefined. */
export function revertOf(err: unknown): Revert | undefined {
  if (err instanceof ViemBaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      if (reverted.data) {
        const args = (reverted.data.args ?? []).map((a) => String(a)).join(', ');
        return { errorName: reverted.data.errorName, reason: `${reverted.data.errorName}(${args})` };
      }
      return { errorName: undefined, reason: reverted.reason ?? reverted.signature ?? 'execution reverted' };
    }
  }
  const text = nodeText(err);
  if (nodeAnswered(err) && /revert/i.test(text)) return { errorName: undefined, reason: shortReason(err) };
  return undefined;
}

/** True when the node said the transaction needs more gas than allowed (estimate hit the cap). */
export function isGasLimitError(err: unknown): boolean {
  return (
    nodeAnswered(err) &&
    /out of gas|gas required exceeds|exceeds (?:the )?(?:block |transaction )?gas (?:limit|cap)|gas limit (?:too high|reached)|intrinsic gas/i.test(
      nodeText(err),
    )
  );
}

/** True when the node said the sender cannot pay for the gas. */
export function isInsufficientFunds(err: unknown): boolean {
  return /insufficient funds|doesn't have enough funds|not enough funds/i.test(nodeText(err));
}

/**
 * How an `eth_sendRawTransaction` ended (see the RPC pool's notes): `sent`; `known` — this or an
 * equivalent transaction is already in a mempool; `nonceTooLow` — the nonce is used (by this
 * transaction if it was mined, else by another); `rejected` — the node refused it for another reason;
 * `unknown` — no answer (transport failure, timeout): it may or may not have arrived.
 */
export type SendOutcome =
  | { kind: 'sent' }
  | { kind: 'known' }
  | { kind: 'nonceTooLow'; reason: string }
  | { kind: 'rejected'; reason: string; insufficientFunds: boolean }
  | { kind: 'unknown'; reason: string };

export function classifySendError(err: unknown): SendOutcome {
  const text = nodeText(err);
  if (
    /already known|known transaction|alreadyknown|already imported|already in (?:the )?(?:mem)?pool/i.test(
      text,
    )
  )
    return { kind: 'known' };
  if (/nonce too low|nonce has already been used|nonce_expired|nonce is too low/i.test(text))
    return { kind: 'nonceTooLow', reason: shortReason(err) };
  // Underpriced replacement: a transaction with this nonce and fees at least as high is pending —
  // ours (an earlier version, whose hash is kept) or, if another sender uses the key, theirs.
  if (/replacement (?:transaction )?underpriced/i.test(text)) return { kind: 'known' };
  if (nodeAnswered(err))
    return { kind: 'rejected', reason: shortReason(err), insufficientFunds: isInsufficientFunds(err) };
  return { kind: 'unknown', reason: shortReason(err) };
}
