/**
 * True when a key holding `granted` may do what `required` names — the console's copy of
 * `scopeAllows` in src/platform/apikeys/scopes.ts (that module imports server code): `admin` grants
 * every scope, `<resource>:admin` every action of its resource, anything else exactly itself.
 * Only hides controls; the API decides.
 */
export function scopeAllows(granted: readonly string[], required: string): boolean {
  if (granted.includes('admin') || granted.includes(required)) return true;
  const colon = required.indexOf(':');
  return colon > 0 && granted.includes(`${required.slice(0, colon)}:admin`);
}
