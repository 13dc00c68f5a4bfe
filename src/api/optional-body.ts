/**
 * A JSON body that may be left out (a POST whose fields are all optional: `curl -X POST` with no
 * body must work too). Fastify's own body schema would refuse the missing body, so such a route
 * declares none and checks here: a missing body is `{}`; anything else must match `schema`, or
 * 400 `CB_VALIDATION` lists each problem at its `body.…` path.
 */
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { ValidationError } from '../platform/errors.ts';

export function optionalBody<T>(request: FastifyRequest, schema: TSchema): T {
  const body = request.body ?? {};
  if (Value.Check(schema, body)) return body as T;
  const issues = [...Value.Errors(schema, body)].slice(0, 20).map((e) => ({
    path: `body${e.instancePath.replace(/\//g, '.')}`,
    message: e.message,
  }));
  throw new ValidationError(`invalid request: ${issues[0]?.path} ${issues[0]?.message}`, issues);
}
