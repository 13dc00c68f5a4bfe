import { describe, expect, it } from 'vitest';
import { incidentSettingsFromConfig } from './incident-settings.ts';
import { incidentsOptionsFromSettings } from './ops/index.ts';
import { loadConfig, SETTINGS } from './platform/config.ts';
import { ConfigError } from './platform/errors.ts';

describe('the incident settings', () => {
  it('CB_NOTIFY_RETRY_LIMIT and CB_NOTIFY_RETRY_DELAY_SECONDS reach the delivery (documented, and now read)', () => {
    const options = incidentsOptionsFromSettings(
      incidentSettingsFromConfig(
        loadConfig({ CB_NOTIFY_RETRY_LIMIT: '1', CB_NOTIFY_RETRY_DELAY_SECONDS: '3' }),
      ),
    );
    expect(options.delivery).toMatchObject({ retryLimit: 1, retryDelaySeconds: 3 });
    const defaults = incidentsOptionsFromSettings(incidentSettingsFromConfig(loadConfig({})));
    expect(defaults.delivery).toMatchObject({ retryLimit: 5, retryDelaySeconds: 10 });
  });

  it('error: a bad retry setting is refused by name', () => {
    expect(() => loadConfig({ CB_NOTIFY_RETRY_LIMIT: 'many' })).toThrow(ConfigError);
    expect(() => loadConfig({ CB_NOTIFY_RETRY_LIMIT: 'many' })).toThrow(/CB_NOTIFY_RETRY_LIMIT/);
  });

  it('CB_INCIDENT_ACTION_REMIND_EVERY reaches the options: minutes, or null when off; unset keeps the default', () => {
    const options = (value?: string) =>
      incidentsOptionsFromSettings(
        incidentSettingsFromConfig(
          loadConfig(value === undefined ? {} : { CB_INCIDENT_ACTION_REMIND_EVERY: value }),
        ),
      ).actionRemindEveryMinutes;
    expect(options('12h')).toBe(720);
    expect(options('off')).toBeNull();
    expect(options()).toBeUndefined();
  });

  it('error: a bad CB_INCIDENT_ACTION_REMIND_EVERY is refused by name, saying what is wanted', () => {
    const config = loadConfig({ CB_INCIDENT_ACTION_REMIND_EVERY: 'daily' });
    expect(() => incidentSettingsFromConfig(config)).toThrow(ConfigError);
    expect(() => incidentSettingsFromConfig(config)).toThrow(
      'CB_INCIDENT_ACTION_REMIND_EVERY: "daily" must be a duration of whole minutes from 1m to 30d such as 24h, 90m or 7d, or off',
    );
  });

  it("the example in CB_INCIDENT_RESPONSE_TARGETS' description is accepted", () => {
    const setting = SETTINGS.find((s) => s.env === 'CB_INCIDENT_RESPONSE_TARGETS')!;
    const example = /e\.g\. `([^`]+)`/.exec(setting.description)![1]!;
    expect(() =>
      incidentSettingsFromConfig(loadConfig({ CB_INCIDENT_RESPONSE_TARGETS: example })),
    ).not.toThrow();
  });

  it('error: half a Twilio setup is refused, naming what is missing', () => {
    const config = loadConfig({ CB_TWILIO_ACCOUNT_SID: 'AC123', CB_TWILIO_AUTH_TOKEN: 'secret-token' });
    expect(() => incidentSettingsFromConfig(config)).toThrow(ConfigError);
    expect(() => incidentSettingsFromConfig(config)).toThrow(/CB_TWILIO_FROM/);
    expect(() => incidentSettingsFromConfig(config)).not.toThrow(/secret-token/);
    const full = loadConfig({
      CB_TWILIO_ACCOUNT_SID: 'AC123',
      CB_TWILIO_AUTH_TOKEN: 't',
      CB_TWILIO_FROM: '+15550001',
      CB_ONCALL_SMS: '+15550002',
    });
    expect(incidentSettingsFromConfig(full).twilioFrom).toBe('+15550001');
  });

  it('error: a transport with nobody to reach is refused (its notices, P0 pages too, would go nowhere)', () => {
    const smtp = { CB_SMTP_URL: 'smtp://relay.example.org:587' };
    const config = (env: Record<string, string>) => () => incidentSettingsFromConfig(loadConfig(env));
    expect(config(smtp)).toThrow(
      /CB_SMTP_URL: is set, but no escalation step has an e-mail recipient \(CB_ONCALL_EMAIL\)/,
    );
    expect(config({ ...smtp, CB_ONCALL_EMAIL: 'oncall@example.org' })).not.toThrow();
    // With a policy, any of its steps will do; a policy of SMS only leaves e-mail with nobody.
    const policy = (steps: unknown[]) => ({ ...smtp, CB_INCIDENT_ESCALATION: JSON.stringify(steps) });
    expect(
      config(
        policy([
          { name: 'primary', sms: ['+15550002'] },
          { name: 'lead', email: ['lead@example.org'] },
        ]),
      ),
    ).not.toThrow();
    expect(config(policy([{ name: 'primary', sms: ['+15550002'] }]))).toThrow(
      /"email" in CB_INCIDENT_ESCALATION/,
    );

    const twilio = { CB_TWILIO_ACCOUNT_SID: 'AC1', CB_TWILIO_AUTH_TOKEN: 't', CB_TWILIO_FROM: '+15550001' };
    expect(config(twilio)).toThrow(
      /CB_TWILIO_ACCOUNT_SID: is set, but no escalation step has an SMS or phone recipient/,
    );
    expect(config({ ...twilio, CB_ONCALL_PHONE: '+15550003' })).not.toThrow();
    // Nothing configured: nothing to reach, nothing refused.
    expect(config({})).not.toThrow();
  });
});
