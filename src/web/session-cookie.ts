/**
 * The session cookie: `<id>.<mac>`, both base64url, where `id` is 32 random bytes and `mac` is
 * HMAC-SHA256(secret, id). A forged or altered value is refused before any database look-up.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Cookie name; `__Host-` (Secure, Path=/, no Domain enforced by browsers) when served over https. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-cb_session' : 'cb_session';
}

/** A new session id and its signed cookie value. */
export function newSessionToken(secret: string): { id: string; value: string } {
  const id = randomBytes(32).toString('base64url');
  return { id, value: `${id}.${mac(secret, id)}` };
}

/** The session id of a cookie value when its signature is right; undefined otherwise. */
export function verifySessionToken(secret: string, value: string): string | undefined {
  const dot = value.indexOf('.');
  if (dot <= 0 || value.length > 200) return undefined;
  const id = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(secret, id), 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
}

function mac(secret: string, id: string): string {
  return createHmac('sha256', secret).update(id).digest('base64url');
}

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAgeSeconds: number;
}

/** A Set-Cookie header value: httpOnly, SameSite=Lax, Path=/ (and Secure over https). */
export function serializeSessionCookie(value: string, options: CookieOptions): string {
  const parts = [
    `${sessionCookieName(options.secure)}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
