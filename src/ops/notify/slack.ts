/**
 * `postSlackMessage`: a message to a Slack incoming webhook — `POST <url>` with JSON `{ text, blocks }`
 * (Slack answers `200 ok`). The URL is the secret; errors name the webhook, never the URL.
 */
import { httpPost } from './http-post.ts';

/** A Block Kit block (header, section, context, actions…). */
export type SlackBlock = Record<string, unknown>;

export interface SlackMessage {
  /** Fallback text (notifications, clients without blocks). */
  text: string;
  blocks: SlackBlock[];
}

export interface PostSlackOptions {
  /** Incoming-webhook URL (secret). */
  url: string;
  /** Name of the webhook in errors and records. */
  name: string;
  /** @defaultValue `10000` */
  timeoutMs?: number;
  /** Stops the request. */
  signal?: AbortSignal | undefined;
}

export async function postSlackMessage(options: PostSlackOptions, message: SlackMessage): Promise<void> {
  await httpPost({
    url: options.url,
    target: `slack webhook "${options.name}"`,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ text: message.text, blocks: message.blocks }),
    timeoutMs: options.timeoutMs ?? 10_000,
    signal: options.signal,
  });
}
