/**
 * API keys: creation (shown once), listing, revocation and verification with a short in-process
 * cache. The HTTP edge (`src/api`) turns a presented key into a {@link VerifiedApiKey} and checks
 * route scopes with {@link scopeAllows}; the CLI (`cb apikey …`) creates, lists, revokes and
 * rotates (a new key, the old one working for a grace period; keys past CB_APIKEY_MAX_AGE_DAYS are
 * counted in `cb_api_keys_rotation_due`).
 *
 * Error codes: `CB_APIKEY_NAME_INVALID`, `CB_APIKEY_SCOPE_INVALID` (ValidationError),
 * `CB_APIKEY_GRACE_INVALID` (ValidationError), `CB_APIKEY_NAME_TAKEN` (ConflictError), `CB_APIKEY_NOT_FOUND` (NotFoundError), and
 * `CB_DB_UNAVAILABLE` (UnavailableError) when `verify` cannot reach the database.
 */
export {
  type ApiKeySummary,
  type ApiKeys,
  type CreateApiKeysOptions,
  type CreatedApiKey,
  createApiKeys,
  type RotatedApiKey,
  type VerifiedApiKey,
} from './create-api-keys.ts';
export { sampleApiKeyAges, startApiKeyAgeSampler } from './key-age-sampler.ts';
export { API_KEY_PREFIX, parseApiKey } from './key-format.ts';
export { ADMIN_SCOPE, isScope, parseScopes, SCOPE_PATTERN, type Scope, scopeAllows } from './scopes.ts';
