/**
 * Which notifications a change sends: one per channel, to the recipients of the given escalation
 * steps on that channel, for the channels wanted that have transport settings and that the step
 * allows. Written in the change's transaction (`insertNotifications`), delivered by one job per
 * notification (so one failing channel never holds up another).
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import { configuredChannels, type EscalationStep, type ResolvedIncidentsOptions } from './options.ts';
import { CHANNELS, type Channel, type NotificationKind } from './types.ts';

export interface NotificationPlan {
  channel: Channel;
  step: number;
  recipients: string[];
}

function recipientsOf(
  options: ResolvedIncidentsOptions,
  step: EscalationStep,
  channel: Channel,
): readonly string[] {
  switch (channel) {
    case 'email':
      return step.email ?? [];
    case 'sms':
      return step.sms ?? [];
    case 'phone':
      return step.phone ?? [];
    case 'slack':
      return step.slack ?? Object.keys(options.slack?.webhooks ?? {});
  }
}

/** Notifications for `channels` to the recipients of `steps` (merged per channel, without duplicates). */
export function planNotifications(
  options: ResolvedIncidentsOptions,
  steps: readonly number[],
  channels: readonly Channel[],
): NotificationPlan[] {
  const configured = configuredChannels(options);
  const plans: NotificationPlan[] = [];
  for (const channel of CHANNELS) {
    if (!channels.includes(channel) || !configured.has(channel)) continue;
    const recipients = new Set<string>();
    for (const index of steps) {
      const step = options.escalation[index];
      if (!step || (step.channels && !step.channels.includes(channel))) continue;
      for (const r of recipientsOf(options, step, channel)) recipients.add(r);
    }
    if (recipients.size > 0) plans.push({ channel, step: Math.max(...steps), recipients: [...recipients] });
  }
  return plans;
}

/** Steps 0…`step`: everyone paged so far. */
export function stepsUpTo(step: number): number[] {
  return Array.from({ length: step + 1 }, (_, i) => i);
}

/** Writes the notifications; returns their ids and channels for queueing after the commit. */
export async function insertNotifications(
  tx: Queryable,
  incidentId: string,
  kind: NotificationKind,
  plans: readonly NotificationPlan[],
  message: Record<string, unknown>,
  now: Date,
): Promise<{ id: string; channel: Channel }[]> {
  if (plans.length === 0) return [];
  const { rows } = await tx.query<{ id: string; channel: Channel }>(
    `insert into ops_notifications (incident_id, kind, channel, step, recipients, message, created_at)
     select $1, $2, x.channel, x.step, x.recipients, $3::jsonb, $4
       from jsonb_to_recordset($5::jsonb) as x(channel text, step int, recipients jsonb)
     returning id, channel`,
    [incidentId, kind, JSON.stringify(message), now.toISOString(), JSON.stringify(plans)],
  );
  return rows;
}
