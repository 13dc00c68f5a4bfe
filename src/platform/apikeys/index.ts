/**
 * API keys: creation (shown once), listing, revocation and verification with a short in-process
 * cache. The HTTP edge (`src/api`) turns a presented key into a {@link VerifiedApiKey} and checks
 * route scopes with {@link scopeAllows}; the CLI (`cb apikey …`) creates, lists and revokes.
 *
 * Error codes: `CB_APIKEY_NAME_INVALID`, `CB_APIKEY_SCOPE_INVALID` (ValidationError),
 * `CB_APIKEY_NAME_TAKEN` (ConflictError), `CB_APIKEY_NOT_FOUND` (NotFoundError), and
 * `CB_DB_UNAVAILABLE` (UnavailableError) when `verify` cannot reach the database.
 */
export {
  type ApiKeySummary,
  type ApiKeys,
  type CreateApiKeysOptions,
  type CreatedApiKey,
  createApiKeys,
  type VerifiedApiKey,
} from './create-api-keys.ts';
export { API_KEY_PREFIX, parseApiKey } from './key-format.ts';
export { ADMIN_SCOPE, isScope, parseScopes, SCOPE_PATTERN, type Scope, scopeAllows } from './scopes.ts';
