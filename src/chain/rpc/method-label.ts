/** The `method` label of the RPC metrics: the JSON-RPC method when it looks like one, else `other`. */
const METHOD = /^[a-z]+_[A-Za-z0-9]+$/;

/**
 * JSON-RPC methods are a bounded set in practice, but the name comes from the caller: anything not
 * shaped like `ns_method` (or absurdly long) is counted as `other` so a label can never explode.
 */
export function methodLabel(method: string): string {
  return method.length <= 64 && METHOD.test(method) ? method : 'other';
}
