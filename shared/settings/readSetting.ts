import { z } from 'zod';

import { ConfigError } from '../errors';
import { DeployConstraint, recordedConstraint } from './settingSchemas';
import { SettingName, SETTINGS, SettingSpec, SettingValue } from './settings';

/** The app settings (process.env, or a test's object). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Reads one setting: its default when unset or empty, else its parsed value; a bad value is a ConfigError. */
export function readSetting<K extends SettingName>(env: Env, name: K): SettingValue<K> | undefined {
    const s: SettingSpec<unknown> = SETTINGS[name];
    const raw = env[name];
    const text = raw === undefined || raw.trim() === '' ? s.default : raw;
    if (text === undefined) return undefined;
    const parsed = s.schema.safeParse(text);
    if (!parsed.success) {
        const shown = s.secret ? 'a value' : `the value ${JSON.stringify(String(raw).slice(0, 100))}`;
        throw new ConfigError(
            name,
            `Setting ${name} has ${shown}, but accepts ${s.accepts}` +
                (s.default !== undefined ? ` (default ${s.default}).` : '.'),
        );
    }
    return parsed.data as SettingValue<K>;
}

/** Reads a setting that must have a value (its own or its default); unset without a default is a ConfigError. */
export function requireSetting<K extends SettingName>(env: Env, name: K): SettingValue<K> {
    const value = readSetting(env, name);
    if (value === undefined) throw new ConfigError(name, `Setting ${name} is required (${SETTINGS[name].accepts}).`);
    return value;
}

/** What infra/main.bicep must check for a setting at deploy time, or undefined when a template cannot (free text). */
export function deployConstraint(name: SettingName): DeployConstraint | undefined {
    const schema: z.ZodType = SETTINGS[name].schema;
    const recorded = recordedConstraint(schema);
    if (recorded) return recorded;
    if (schema instanceof z.ZodEnum) return { type: 'oneOf', allowed: schema.options.map(String) };
    return undefined;
}
